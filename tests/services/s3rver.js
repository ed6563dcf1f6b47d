// Runs s3rver (an S3-compatible server, test-only) for the object-store tests: on 127.0.0.1, a port given or free,
// data in a folder given, one bucket created at start, and credentials made up by the caller instead of the
// package's built-in "S3RVER" pair (which is revoked, so only the made-up keys are accepted).
// Usage: node s3rver.js MODULE_DIR DATA_DIR PORT BUCKET   (access key and secret in S3_ACCESS_KEY / S3_SECRET_KEY)
'use strict';
const path = require('path');

const [moduleDir, directory, port, bucket] = process.argv.slice(2);
const accessKey = process.env.S3_ACCESS_KEY;
const secretKey = process.env.S3_SECRET_KEY;
if (!moduleDir || !directory || !port || !bucket || !accessKey || !secretKey) {
  console.error('usage: S3_ACCESS_KEY=… S3_SECRET_KEY=… node s3rver.js MODULE_DIR DATA_DIR PORT BUCKET');
  process.exit(2);
}

const S3rver = require(path.join(moduleDir, 's3rver'));
const account = require(path.join(moduleDir, 's3rver', 'lib', 'models', 'account'));
account.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
account.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: bucket, configs: [] }],
});
server.run().then(
  address => console.log(`s3rver listening on ${address.address}:${address.port}`),
  error => {
    console.error(error);
    process.exit(1);
  },
);
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
