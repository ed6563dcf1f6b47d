using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Portal.Benchmarks;

/// <summary>
/// Fills a database with a screening programme's worth of cases: two photographs and two predictions each, half the
/// patients seen twice (so cases have priors), about one case in nine waiting in a reading queue and the rest final,
/// a reading on every tenth final case. Deterministic for a seed.
/// </summary>
internal static class Seeder
{
    private const int Batch = 2_000;
    private static readonly string[] Sites = [.. Enumerable.Range(1, 20).Select(i => $"Clinic {i:00}")];

    public static async Task<IReadOnlyList<string>> SeedAsync(Func<RetinaScreenDbContext> context, int cases, int seed, TextWriter progress)
    {
        var random = new Random(seed);
        var uids = new List<string>(cases);
        var start = DateTimeOffset.UtcNow.AddDays(-400);
        ModelVersion model;
        await using (var db = context())
        {
            model = new ModelVersion { Name = "dr-grader", Version = "0.2.0", Sha256 = new string('a', 64), FirstSeenAt = start };
            db.ModelVersions.Add(model);
            await db.SaveChangesAsync();
        }

        Patient? previous = null;
        for (var first = 0; first < cases; first += Batch)
        {
            await using var db = context();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            db.Attach(model);
            for (var n = first; n < Math.Min(cases, first + Batch); n++)
            {
                // Every other case is the same patient's second visit: priors for half the cases.
                var patient = n % 2 == 1 && previous is not null ? previous : new Patient { PatientId = $"BENCH-{n:D7}", Name = $"PATIENT^{n}", BirthDate = "19600101", Sex = "F" };
                previous = patient;
                var at = start.AddMinutes(n * 5.0);
                var uid = $"2.25.9{seed}.{n}";
                uids.Add(uid);
                var study = new Study { StudyInstanceUid = uid, Patient = patient, InstitutionName = Sites[n % Sites.Length], StudyDate = at.ToString("yyyyMMdd"), FirstReceivedAt = at };
                var series = new Series { SeriesInstanceUid = uid + ".1", Modality = "OP" };
                study.Series.Add(series);
                var grade = random.Next(5);
                foreach (var laterality in new[] { "R", "L" })
                {
                    var instance = new Instance
                    {
                        SopInstanceUid = $"{uid}.1.{laterality}", SopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.5.1", TransferSyntaxUid = "1.2.840.10008.1.2.4.50",
                        Laterality = laterality, Rows = 3000, Columns = 3000, StorageKey = $"bench/{n}/{laterality}", Sha256 = new string('c', 64), ReceivedAt = at,
                    };
                    series.Instances.Add(instance);
                    db.Predictions.Add(new Prediction
                    {
                        Instance = instance, ModelVersionId = model.Id, Gradable = true, Grade = grade, GradeProbabilities = [0.2, 0.2, 0.2, 0.2, 0.2],
                        ReferableDrScore = grade / 4.0, ReferableDrThreshold = 0.5, ReferableDr = grade >= 2, ReferableDmeThreshold = 0.5,
                        ImageSha256 = instance.Sha256, HeatmapKey = null, CreatedAt = at.AddSeconds(3),
                    });
                }

                var screening = new ScreeningCase
                {
                    Study = study, ReceivedAt = at, Kind = CaseKind.Fundus, Site = study.InstitutionName, Device = $"CAM{n % 40:00}",
                    WorstGrade = grade, ReferableDr = grade >= 2, ReferableDme = false, ImagesToGrade = 2, Priority = Math.Max(0, grade - 1),
                };
                screening.Advance(ScreeningStatus.Graded, at.AddSeconds(3));
                var waiting = random.Next(9) == 0;
                if (waiting)
                {
                    screening.Queue = (ReadingQueue)random.Next(3);
                    screening.Blind = random.Next(10) == 0;
                    screening.Advance(ScreeningStatus.AwaitingReview, at.AddSeconds(3));
                }
                else
                {
                    screening.FinalSource = FinalSource.Model;
                    screening.FinalReferral = grade >= 2 ? Referral.Refer : Referral.Rescreen;
                    screening.FinalisedAt = at.AddSeconds(3);
                }

                study.Screening = screening;
                db.Studies.Add(study);
                if (!waiting && n % 10 == 0)
                {
                    db.Readings.Add(new Reading
                    {
                        ScreeningCase = screening, ReaderId = "bench-reader", Queue = ReadingQueue.Primary,
                        Right = new EyeReading { Grade = grade, Dme = false }, Left = new EyeReading { Grade = grade, Dme = false },
                        Referral = screening.FinalReferral, ComputedReferral = screening.FinalReferral, SecondsOnCase = 40, ClaimedAt = at, SubmittedAt = at.AddMinutes(1),
                    });
                }
            }

            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync();
            progress.Write($"\r  seeded {Math.Min(cases, first + Batch):N0} / {cases:N0}");
        }

        progress.WriteLine();
        return uids;
    }
}
