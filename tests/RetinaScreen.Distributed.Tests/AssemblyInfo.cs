// The fault tests restart the shared broker and database: test classes must never run at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
