using RetinaScreen.Data.Screening;
using RetinaScreen.Screening;

namespace RetinaScreen.Portal.Tests;

/// <summary>The reading room's clinical rules (REQ-READ-02, REQ-READ-05), each checked against cases worked by hand.</summary>
public sealed class ReadingRulesTests
{
    private static EyeReading Eye(int grade, bool dme = false) => new() { Grade = grade, Dme = dme };

    private static readonly EyeReading Ungradable = new() { Ungradable = true, UngradableReason = "Media opacity" };

    [Theory]
    [InlineData(0, 1, false, Referral.Rescreen)]
    [InlineData(1, 1, false, Referral.Rescreen)]
    [InlineData(2, 0, false, Referral.Refer)]
    [InlineData(0, 4, false, Referral.Refer)]
    [InlineData(0, 0, true, Referral.Refer)]
    public void REQ_READ_05_The_worse_eye_decides_the_referral(int right, int left, bool dmeLeft, Referral expected) =>
        Assert.Equal(expected, ReadingRules.ReferralFor(Eye(right), Eye(left, dmeLeft)));

    [Fact]
    public void REQ_READ_05_Any_ungradable_eye_means_a_retake_even_beside_a_referable_one() =>
        Assert.Equal(Referral.Retake, ReadingRules.ReferralFor(Eye(4), Ungradable));

    [Theory]
    // One step apart, same referral, same DME: agree.
    [InlineData(2, 3, false, false, false)]
    [InlineData(0, 1, false, false, false)]
    // Two steps apart in an eye: disagree even though both refer.
    [InlineData(2, 4, false, false, true)]
    // One step apart but across the referral line (1 rescreens, 2 refers): disagree.
    [InlineData(1, 2, false, false, true)]
    // Same grades, a DME call that differs: disagree.
    [InlineData(2, 2, true, false, true)]
    public void REQ_READ_02_Readings_disagree_on_referral_DME_or_two_ICDR_steps(int firstRight, int secondRight, bool firstDme, bool secondDme, bool disagree)
    {
        var first = Reading(Eye(firstRight, firstDme), Eye(0));
        var second = Reading(Eye(secondRight, secondDme), Eye(0));
        Assert.Equal(disagree, ReadingRules.Disagree(first, second));
        Assert.Equal(disagree, ReadingRules.Disagree(second, first));
    }

    [Fact]
    public void REQ_READ_02_Slide_readings_disagree_on_the_call_or_the_size()
    {
        Reading Slide(bool present, MetastasisSize? size) => new() { ReaderId = "p", Metastasis = present, MetastasisSize = size };
        Assert.False(ReadingRules.Disagree(Slide(true, MetastasisSize.Micrometastasis), Slide(true, MetastasisSize.Micrometastasis)));
        Assert.True(ReadingRules.Disagree(Slide(true, MetastasisSize.Micrometastasis), Slide(true, MetastasisSize.Macrometastasis)));
        Assert.True(ReadingRules.Disagree(Slide(true, MetastasisSize.Micrometastasis), Slide(false, null)));
    }

    [Fact]
    public void REQ_READ_05_Samples_take_their_fraction_are_stable_and_independent()
    {
        var uids = Enumerable.Range(0, 20_000).Select(i => $"1.2.826.0.1.3680043.10.77.{i}").ToList();
        var quality = uids.Where(uid => ReadingRules.Sampled(uid, ReadingRules.QualitySample, 0.10)).ToHashSet();
        var blind = uids.Where(uid => ReadingRules.Sampled(uid, ReadingRules.BlindSample, 0.10)).ToHashSet();

        Assert.InRange(quality.Count, 1_800, 2_200);
        Assert.InRange(blind.Count, 1_800, 2_200);
        // Independent: about a tenth of one sample is in the other, not all or none of it.
        Assert.InRange(quality.Intersect(blind).Count(), 120, 290);
        Assert.All(quality.Take(50), uid => Assert.True(ReadingRules.Sampled(uid, ReadingRules.QualitySample, 0.10)));
        Assert.False(ReadingRules.Sampled(uids[0], ReadingRules.QualitySample, 0));
        Assert.True(ReadingRules.Sampled(uids[0], ReadingRules.QualitySample, 1));
    }

    [Fact]
    public void REQ_READ_05_Proliferative_cases_come_before_severe_before_other_referable_before_samples()
    {
        int Priority(int? grade, bool referable, bool ungradable = false) => ReadingRules.PriorityOf(new ScreeningCase
        {
            Kind = CaseKind.Fundus, WorstGrade = grade, ReferableDr = referable, AnyUngradable = ungradable,
        });
        Assert.True(Priority(4, true) > Priority(3, true));
        Assert.True(Priority(3, true) > Priority(2, true));
        Assert.Equal(Priority(2, true), Priority(null, false, ungradable: true));
        Assert.True(Priority(2, true) > Priority(0, false));
    }

    private static Reading Reading(EyeReading right, EyeReading left) => new()
    {
        ReaderId = "r",
        Right = right,
        Left = left,
        Referral = ReadingRules.ReferralFor(right, left),
    };
}
