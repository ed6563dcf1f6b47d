using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// One X.509 CRL (RFC 5280 5.1), read with <see cref="AsnReader"/> as far as the TLS listener needs it: issuer,
/// validity, revoked serial numbers and the signature over the to-be-signed part. .NET's
/// <see cref="CertificateRevocationListBuilder.Load(ReadOnlySpan{byte}, out BigInteger)"/> neither verifies the
/// signature nor reports the issuer, so the few fields are read here.
/// </summary>
internal sealed class CertificateRevocationList
{
    /// <summary>A CRL file larger than this is refused: real CRLs of a clinic's device CA are kilobytes.</summary>
    public const int MaxFileLength = 16 * 1024 * 1024;

    private const string PemLabel = "X509 CRL";
    private const string DeltaCrlIndicatorOid = "2.5.29.27";

    private readonly byte[] _toBeSigned;
    private readonly byte[] _signature;
    private readonly HashAlgorithmName _hash;
    private readonly RSASignaturePadding? _rsaPadding;
    private readonly HashSet<BigInteger> _revoked;

    private CertificateRevocationList(
        byte[] toBeSigned, byte[] signature, HashAlgorithmName hash, RSASignaturePadding? rsaPadding, byte[] issuer,
        DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, HashSet<BigInteger> revoked)
    {
        _toBeSigned = toBeSigned;
        _signature = signature;
        _hash = hash;
        _rsaPadding = rsaPadding;
        IssuerName = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        _revoked = revoked;
    }

    /// <summary>DER encoding of the issuer's distinguished name, compared byte for byte with certificates' issuer names.</summary>
    public byte[] IssuerName { get; }

    public X500DistinguishedName Issuer => new(IssuerName);

    public DateTimeOffset ThisUpdate { get; }

    /// <summary>When the issuer promised a newer CRL; null when the CRL does not say.</summary>
    public DateTimeOffset? NextUpdate { get; }

    public int RevokedCount => _revoked.Count;

    /// <summary>Whether the serial number (big-endian two's complement, as in the certificate) is listed.</summary>
    public bool IsRevoked(ReadOnlySpan<byte> serialNumber) =>
        !serialNumber.IsEmpty && _revoked.Contains(new BigInteger(serialNumber, isUnsigned: false, isBigEndian: true));

    /// <summary>
    /// Whether <paramref name="issuer"/>'s public key verifies this CRL's signature. The caller has matched the
    /// subject; a certificate whose key usage excludes CRL signing cannot have issued a CRL.
    /// </summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (issuer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
            && (usage.KeyUsages & X509KeyUsageFlags.CrlSign) == 0)
        {
            return false;
        }

        if (_rsaPadding is not null)
        {
            using var rsa = issuer.GetRSAPublicKey();
            return rsa is not null && rsa.VerifyData(_toBeSigned, _signature, _hash, _rsaPadding);
        }

        using var ecdsa = issuer.GetECDsaPublicKey();
        return ecdsa is not null && ecdsa.VerifyData(_toBeSigned, _signature, _hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>Every CRL in a file: PEM <c>X509 CRL</c> blocks, or one DER-encoded CRL.</summary>
    /// <exception cref="CryptographicException">The file is too large, empty, or not CRLs; the message never quotes the contents.</exception>
    public static IReadOnlyList<CertificateRevocationList> LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (file.Length > MaxFileLength)
            {
                throw new CryptographicException($"The CRL file is larger than {MaxFileLength / (1024 * 1024)} MiB.");
            }

            // Read to one byte past the limit rather than trusting a length that may change while reading.
            var buffer = new byte[(int)Math.Min(file.Length, MaxFileLength) + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = file.Read(buffer, read, buffer.Length - read)) > 0)
            {
                read += n;
            }

            if (read > MaxFileLength)
            {
                throw new CryptographicException($"The CRL file is larger than {MaxFileLength / (1024 * 1024)} MiB.");
            }

            bytes = buffer[..read];
        }

        return Decode(bytes);
    }

    /// <summary>CRLs from a file's bytes: PEM <c>X509 CRL</c> blocks, or one DER-encoded CRL.</summary>
    public static IReadOnlyList<CertificateRevocationList> Decode(ReadOnlySpan<byte> contents)
    {
        if (contents.IsEmpty)
        {
            throw new CryptographicException("The CRL file is empty.");
        }

        // DER starts with a SEQUENCE tag; PEM is text.
        if (contents[0] == 0x30)
        {
            return [DecodeDer(contents.ToArray())];
        }

        var text = System.Text.Encoding.ASCII.GetString(contents);
        var crls = new List<CertificateRevocationList>();
        ReadOnlySpan<char> rest = text;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (!label.SequenceEqual(PemLabel))
            {
                throw new CryptographicException($"PEM block {crls.Count + 1} is labelled '{label}'; only '{PemLabel}' blocks belong in a CRL file.");
            }

            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out var written) || written != der.Length)
            {
                throw new CryptographicException($"PEM block {crls.Count + 1} is not valid base64.");
            }

            try
            {
                crls.Add(DecodeDer(der));
            }
            catch (CryptographicException ex)
            {
                throw new CryptographicException($"CRL {crls.Count + 1}: {ex.Message}", ex);
            }

            rest = rest[fields.Location.End..];
        }

        if (crls.Count == 0)
        {
            throw new CryptographicException($"The file is neither a DER-encoded CRL nor PEM '{PemLabel}' blocks.");
        }

        return crls;
    }

    /// <summary>One DER-encoded CertificateList (RFC 5280 5.1).</summary>
    public static CertificateRevocationList DecodeDer(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.DER);
            var certificateList = outer.ReadSequence();
            ExpectEnd(outer);

            var toBeSigned = certificateList.ReadEncodedValue();
            var signatureAlgorithm = certificateList.ReadEncodedValue();
            var signature = certificateList.ReadBitString(out var unusedBits);
            ExpectEnd(certificateList);
            if (unusedBits != 0)
            {
                throw new CryptographicException("The CRL's signature is not a whole number of bytes.");
            }

            var tbs = new AsnReader(toBeSigned, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                // v2 is the only version that is written with the field present.
                if (!tbs.TryReadInt32(out var version) || version != 1)
                {
                    throw new CryptographicException("The CRL has an unknown version.");
                }
            }

            // RFC 5280 5.1.1.2: the signed algorithm must be the one the signature claims, or it could be swapped.
            var innerAlgorithm = tbs.ReadEncodedValue();
            if (!innerAlgorithm.Span.SequenceEqual(signatureAlgorithm.Span))
            {
                throw new CryptographicException("The CRL's two signature algorithm fields differ.");
            }

            var (hash, rsaPadding) = SignatureAlgorithm(signatureAlgorithm);
            var issuer = tbs.ReadEncodedValue();
            if (!new AsnReader(issuer, AsnEncodingRules.DER).PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                throw new CryptographicException("The CRL's issuer is not a distinguished name.");
            }

            var thisUpdate = ReadTime(tbs);
            DateTimeOffset? nextUpdate = tbs.HasData && IsTime(tbs.PeekTag()) ? ReadTime(tbs) : null;

            var revoked = new HashSet<BigInteger>();
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = tbs.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    revoked.Add(new BigInteger(entry.ReadIntegerBytes().Span, isUnsigned: false, isBigEndian: true));
                    _ = ReadTime(entry);
                    // Entry extensions (reason code, invalidity date) do not change the answer: listed is revoked,
                    // certificate hold included.
                    if (entry.HasData)
                    {
                        _ = entry.ReadSequence();
                    }

                    ExpectEnd(entry);
                }
            }

            if (tbs.HasData)
            {
                RefuseDeltaCrl(tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)));
            }

            ExpectEnd(tbs);
            return new CertificateRevocationList(
                toBeSigned.ToArray(), signature, hash, rsaPadding, issuer.ToArray(), thisUpdate, nextUpdate, revoked);
        }
        catch (AsnContentException ex)
        {
            throw new CryptographicException("The data is not a DER-encoded X.509 CRL.", ex);
        }
    }

    /// <summary>
    /// A delta CRL lists only what changed since a base CRL; applied alone it would let through every certificate the
    /// base revoked. Other extensions (CRL number, authority key identifier, issuing distribution point) do not make a
    /// listed certificate any less revoked, so they are not interpreted.
    /// </summary>
    private static void RefuseDeltaCrl(AsnReader explicitExtensions)
    {
        var extensions = explicitExtensions.ReadSequence();
        ExpectEnd(explicitExtensions);
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            if (extension.ReadObjectIdentifier() == DeltaCrlIndicatorOid)
            {
                throw new CryptographicException("The file holds a delta CRL; give the CA's full CRL.");
            }
        }
    }

    private static (HashAlgorithmName Hash, RSASignaturePadding? RsaPadding) SignatureAlgorithm(ReadOnlyMemory<byte> algorithmIdentifier)
    {
        var reader = new AsnReader(algorithmIdentifier, AsnEncodingRules.DER).ReadSequence();
        var oid = reader.ReadObjectIdentifier();
        switch (oid)
        {
            case "1.2.840.113549.1.1.11": return (HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.12": return (HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.13": return (HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
            case "1.2.840.10045.4.3.2": return (HashAlgorithmName.SHA256, null);
            case "1.2.840.10045.4.3.3": return (HashAlgorithmName.SHA384, null);
            case "1.2.840.10045.4.3.4": return (HashAlgorithmName.SHA512, null);
            case "1.2.840.113549.1.1.10": return (PssHash(reader), RSASignaturePadding.Pss);
            default:
                // SHA-1 and MD5 signatures among them: a CRL signed so weakly is not believed.
                throw new CryptographicException($"The CRL is signed with an unsupported algorithm ({oid}); RSA or ECDSA with SHA-256/384/512 are read.");
        }
    }

    /// <summary>
    /// RSASSA-PSS parameters (RFC 4055): only the form .NET verifies, MGF1 with the same hash and a salt as long as
    /// the hash, which is what CAs write for SHA-2.
    /// </summary>
    private static HashAlgorithmName PssHash(AsnReader algorithm)
    {
        var unsupported = new CryptographicException("The CRL's RSASSA-PSS parameters are not SHA-2 with MGF1 of the same hash and a hash-length salt.");
        if (!algorithm.HasData)
        {
            throw unsupported;
        }

        var parameters = algorithm.ReadSequence();
        string? hashOid = null;
        string? mgfHashOid = null;
        var saltLength = 20;
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        {
            hashOid = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)).ReadSequence().ReadObjectIdentifier();
        }

        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)))
        {
            var mgf = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)).ReadSequence();
            if (mgf.ReadObjectIdentifier() != "1.2.840.113549.1.1.8")
            {
                throw unsupported;
            }

            mgfHashOid = mgf.ReadSequence().ReadObjectIdentifier();
        }

        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2, isConstructed: true)))
        {
            if (!parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2, isConstructed: true)).TryReadInt32(out saltLength))
            {
                throw unsupported;
            }
        }

        var (hash, length) = hashOid switch
        {
            "2.16.840.1.101.3.4.2.1" => (HashAlgorithmName.SHA256, 32),
            "2.16.840.1.101.3.4.2.2" => (HashAlgorithmName.SHA384, 48),
            "2.16.840.1.101.3.4.2.3" => (HashAlgorithmName.SHA512, 64),
            _ => throw unsupported,
        };
        if (mgfHashOid != hashOid || saltLength != length)
        {
            throw unsupported;
        }

        return hash;
    }

    private static void ExpectEnd(AsnReader reader)
    {
        if (reader.HasData)
        {
            throw new CryptographicException("The CRL has unexpected data after a field.");
        }
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime)
            // RFC 5280 4.1.2.5.1: two-digit years 50-99 are 19xx, 00-49 are 20xx.
            ? reader.ReadUtcTime(twoDigitYearMax: 2049)
            : reader.ReadGeneralizedTime();
}
