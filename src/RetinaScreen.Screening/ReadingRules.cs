using System.Security.Cryptography;
using System.Text;
using RetinaScreen.Data.Identity;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Screening;

/// <summary>
/// The reading room's clinical rules, each stated once: who reads which queue, how a referral follows from the eyes,
/// when two readings disagree, how urgent a case is, and which cases are sampled.
/// </summary>
public static class ReadingRules
{
    /// <summary>The samples <see cref="Sampled"/> draws; each is independent of the others.</summary>
    public const string QualitySample = "quality";
    public const string SecondReadSample = "second-read";
    public const string BlindSample = "blind";

    /// <summary>The roles that may read each queue. Administrators audit; they do not read.</summary>
    public static IReadOnlyList<string> ReadersOf(ReadingQueue queue) => queue switch
    {
        ReadingQueue.Primary or ReadingQueue.SecondRead => [Roles.Grader, Roles.Adjudicator],
        ReadingQueue.Adjudication => [Roles.Adjudicator],
        ReadingQueue.Pathology => [Roles.Pathologist],
        _ => [],
    };

    /// <summary>The queues a person with <paramref name="roles"/> may read.</summary>
    public static IReadOnlyList<ReadingQueue> QueuesFor(IEnumerable<string> roles)
    {
        var held = roles.ToHashSet(StringComparer.Ordinal);
        return [.. Enum.GetValues<ReadingQueue>().Where(queue => ReadersOf(queue).Any(held.Contains))];
    }

    /// <summary>The worse eye decides: any ungradable eye → retake; moderate NPDR or worse, or DME, in either eye → refer.</summary>
    public static Referral ReferralFor(EyeReading right, EyeReading left)
    {
        ArgumentNullException.ThrowIfNull(right);
        ArgumentNullException.ThrowIfNull(left);
        if (right.Ungradable || left.Ungradable)
        {
            return Referral.Retake;
        }

        return right.Referable || left.Referable ? Referral.Refer : Referral.Rescreen;
    }

    /// <summary>The model's referral for a fundus case, by the same rule as a reader's.</summary>
    public static Referral ReferralFor(ScreeningCase screening)
    {
        ArgumentNullException.ThrowIfNull(screening);
        if (screening.AnyUngradable)
        {
            return Referral.Retake;
        }

        return screening.ReferableDr == true || screening.ReferableDme == true ? Referral.Refer : Referral.Rescreen;
    }

    /// <summary>
    /// Two readings disagree when they reach a different referral, call DME differently in either eye, or grade either
    /// eye two or more ICDR steps apart. Slide readings disagree on the metastasis call or its size category.
    /// </summary>
    public static bool Disagree(Reading first, Reading second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Metastasis is not null || second.Metastasis is not null)
        {
            return first.Metastasis != second.Metastasis || first.MetastasisSize != second.MetastasisSize;
        }

        return first.Referral != second.Referral
            || EyesDisagree(first.Right, second.Right)
            || EyesDisagree(first.Left, second.Left);
    }

    private static bool EyesDisagree(EyeReading? first, EyeReading? second) =>
        first?.Dme != second?.Dme
        || (first?.Grade is { } a && second?.Grade is { } b && Math.Abs(a - b) >= 2);

    /// <summary>Worklist urgency, higher first: proliferative, then severe, then other referable or ungradable, then samples.</summary>
    public static int PriorityOf(ScreeningCase screening)
    {
        ArgumentNullException.ThrowIfNull(screening);
        if (screening.Kind == CaseKind.Slide)
        {
            return screening.AnyUngradable || screening.MetastasisPositive == true ? 2 : 0;
        }

        return screening.WorstGrade switch
        {
            4 => 3,
            3 => 2,
            _ when screening.ReferableDr == true || screening.ReferableDme == true || screening.AnyUngradable => 1,
            _ => 0,
        };
    }

    /// <summary>
    /// Whether a case falls in a sample of <paramref name="fraction"/>: a pure function of the Study Instance UID and the
    /// sample's name, so a redelivered message routes the same way and samples are independent of each other.
    /// </summary>
    public static bool Sampled(string studyInstanceUid, string sample, double fraction)
    {
        if (fraction <= 0)
        {
            return false;
        }

        if (fraction >= 1)
        {
            return true;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(sample + "\n" + studyInstanceUid), hash);
        var unit = BitConverter.ToUInt64(hash) / (double)ulong.MaxValue;
        return unit < fraction;
    }
}
