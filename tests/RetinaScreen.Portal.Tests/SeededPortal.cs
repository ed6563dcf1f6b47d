using System.Net;
using System.Net.Http.Json;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Portal.Tests;

[CollectionDefinition(Name)]
public sealed class SeededPortalCollection : ICollectionFixture<SeededPortal>
{
    public const string Name = "Seeded portal";
}

/// <summary>
/// One portal shared by the API and browser tests: the first administrator comes from configuration, a grader is
/// created through the admin API, and three screenings are seeded through the DbContext.
/// </summary>
public sealed class SeededPortal : IAsyncLifetime
{
    public const string AdminEmail = "admin@test.retinascreen";
    public const string AdminPassword = "Adm1n-Test-Passw0rd!";
    public const string GraderEmail = "grader@test.retinascreen";
    public const string GraderPassword = "Grader-Test-Passw0rd1";
    /// <summary>Used by the tests that type a wrong password, so that no other account gets near its lock-out.</summary>
    public const string ClumsyEmail = "clumsy@test.retinascreen";
    public const string ClumsyPassword = "Clumsy-Test-Passw0rd2";

    /// <summary>Received second: graded, moderate NPDR in the right eye, referable DR.</summary>
    public const string ModerateStudyUid = "1.2.826.0.1.3680043.10.1234.1";
    /// <summary>Received last (newest): graded, no DR.</summary>
    public const string NoDrStudyUid = "1.2.826.0.1.3680043.10.1234.2";
    /// <summary>Received first (oldest): not graded yet, laterality unknown.</summary>
    public const string PendingStudyUid = "1.2.826.0.1.3680043.10.1234.3";

    public static readonly DateTimeOffset BaseTime = new(2026, 1, 10, 8, 0, 0, TimeSpan.Zero);

    private PortalHost? host;

    public PortalHost Host => host ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        host = await PortalHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["RetinaScreen:Bootstrap:AdminEmail"] = AdminEmail,
                ["RetinaScreen:Bootstrap:AdminPassword"] = AdminPassword,
            },
            SeedAsync);

        using var admin = await host.SignedInClientAsync(AdminEmail, AdminPassword);
        foreach (var (email, password) in new[] { (GraderEmail, GraderPassword), (ClumsyEmail, ClumsyPassword) })
        {
            await host.CreateUserAsync(admin, email, password, "Grader");
        }
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    private static async Task SeedAsync(RetinaScreenDbContext db)
    {
        var v1 = new ModelVersion { Name = "dr-grader", Version = "1.0.0", Sha256 = new string('a', 64), FirstSeenAt = BaseTime.AddDays(-30) };
        var v2 = new ModelVersion { Name = "dr-grader", Version = "1.1.0", Sha256 = new string('b', 64), FirstSeenAt = BaseTime.AddDays(-1) };
        db.ModelVersions.AddRange(v1, v2);

        // The moderate study: the right eye was graded twice (v1 then v2); the latest (v2, grade 2) counts.
        var moderate = NewStudy(ModerateStudyUid, "PAT-0001", "DOE^JANE", BaseTime);
        var right = NewInstance(moderate, ModerateStudyUid + ".1", "R", BaseTime);
        var left = NewInstance(moderate, ModerateStudyUid + ".2", "L", BaseTime.AddSeconds(5));
        db.Predictions.AddRange(
            NewPrediction(right, v1, grade: 1, [0.1, 0.6, 0.2, 0.05, 0.05], referableDr: false, BaseTime.AddMinutes(1)),
            NewPrediction(right, v2, grade: 2, [0.05, 0.15, 0.7, 0.07, 0.03], referableDr: true, BaseTime.AddMinutes(2)),
            NewPrediction(left, v2, grade: 0, [0.9, 0.05, 0.03, 0.01, 0.01], referableDr: false, BaseTime.AddMinutes(2)));
        moderate.Screening = new ScreeningCase { ReceivedAt = BaseTime, WorstGrade = 2, ReferableDr = true, ReferableDme = false };
        moderate.Screening.Advance(ScreeningStatus.QualityChecked, BaseTime.AddMinutes(1));
        moderate.Screening.Advance(ScreeningStatus.Graded, BaseTime.AddMinutes(2));

        var noDr = NewStudy(NoDrStudyUid, "PAT-0002", "ROE^RICHARD", BaseTime.AddHours(1));
        var noDrRight = NewInstance(noDr, NoDrStudyUid + ".1", "R", BaseTime.AddHours(1));
        db.Predictions.Add(NewPrediction(noDrRight, v2, grade: 0, [0.95, 0.03, 0.01, 0.005, 0.005], referableDr: false, BaseTime.AddHours(1).AddMinutes(1)));
        noDr.Screening = new ScreeningCase { ReceivedAt = BaseTime.AddHours(1), WorstGrade = 0, ReferableDr = false, ReferableDme = false };
        noDr.Screening.Advance(ScreeningStatus.Graded, BaseTime.AddHours(1).AddMinutes(1));

        var pending = NewStudy(PendingStudyUid, "PAT-0003", null, BaseTime.AddHours(-1));
        NewInstance(pending, PendingStudyUid + ".1", null, BaseTime.AddHours(-1));
        pending.Screening = new ScreeningCase { ReceivedAt = BaseTime.AddHours(-1) };

        db.Studies.AddRange(moderate, noDr, pending);
        await db.SaveChangesAsync();
    }

    private static Study NewStudy(string uid, string patientId, string? name, DateTimeOffset receivedAt) => new()
    {
        StudyInstanceUid = uid,
        Patient = new Patient { PatientId = patientId, Name = name, IssuerOfPatientId = "CLINIC-A" },
        StudyDate = receivedAt.ToString("yyyyMMdd"),
        InstitutionName = "Clinic A",
        FirstReceivedAt = receivedAt,
    };

    private static Instance NewInstance(Study study, string sopInstanceUid, string? laterality, DateTimeOffset receivedAt)
    {
        var series = study.Series.FirstOrDefault();
        if (series is null)
        {
            series = new Series { SeriesInstanceUid = study.StudyInstanceUid + ".100", Modality = "OP" };
            study.Series.Add(series);
        }

        var instance = new Instance
        {
            SopInstanceUid = sopInstanceUid,
            SopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.5.1",
            TransferSyntaxUid = "1.2.840.10008.1.2.4.50",
            Laterality = laterality,
            StorageKey = "objects/" + sopInstanceUid,
            Sha256 = new string('c', 64),
            SizeBytes = 1234,
            ReceivedAt = receivedAt,
        };
        series.Instances.Add(instance);
        return instance;
    }

    private static Prediction NewPrediction(Instance instance, ModelVersion model, int grade, double[] probabilities, bool referableDr, DateTimeOffset createdAt) => new()
    {
        Instance = instance,
        ModelVersion = model,
        Gradable = true,
        Grade = grade,
        GradeProbabilities = probabilities,
        ReferableDrScore = probabilities[2] + probabilities[3] + probabilities[4],
        ReferableDmeScore = 0.1,
        ReferableDrThreshold = 0.5,
        ReferableDmeThreshold = 0.5,
        ReferableDr = referableDr,
        ReferableDme = false,
        ImageSha256 = new string('c', 64),
        PreprocessMilliseconds = 12.5,
        InferenceMilliseconds = 40.25,
        CreatedAt = createdAt,
    };
}
