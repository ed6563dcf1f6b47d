using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>What counts as a demographics conflict between a stored patient and an arrival with the same Patient ID.</summary>
public sealed class PatientDemographicsTests
{
    [Theory]
    [InlineData("DOE^JANE", "DOE^JOHN", PatientDemographics.NameAttribute)]
    [InlineData("DOE^JANE", "Doe^Jane", null)]
    [InlineData("DOE^JANE", "DOE^JANE^^^", null)]
    [InlineData("DOE^JANE", " DOE ^JANE", null)]
    [InlineData("Yamada^Tarou", "Yamada^Tarou=山田^太郎", null)]
    [InlineData("Yamada^Tarou=山田^太郎", "Yamada^Tarou=山田^次郎", PatientDemographics.NameAttribute)]
    [InlineData(null, "DOE^JOHN", null)]
    [InlineData("DOE^JANE", null, null)]
    [InlineData("DOE^JANE", "", null)]
    public void REQ_ING_40_Names_conflict_only_when_both_are_given_and_differ_beyond_pn_spelling(string? stored, string? sent, string? conflict)
    {
        var conflicts = PatientDemographics.Conflicts(stored, null, null, sent, null, null);
        Assert.Equal(conflict is null ? [] : [conflict], conflicts);
    }

    [Fact]
    public void REQ_ING_40_Birth_date_and_sex_conflict_when_both_are_given_and_differ()
    {
        Assert.Equal([PatientDemographics.BirthDateAttribute, PatientDemographics.SexAttribute],
            PatientDemographics.Conflicts("A^B", "19500101", "F", "A^B", "19500102", "M"));
        // The ACR-NEMA date form names the same day; an absent value is never a conflict.
        Assert.Empty(PatientDemographics.Conflicts("A^B", "19500101", "F", "A^B", "1950.01.01", "f"));
        Assert.Empty(PatientDemographics.Conflicts("A^B", null, null, "A^B", "19500101", "M"));
        Assert.Empty(PatientDemographics.Conflicts("A^B", "19500101", "M", "A^B", null, null));
    }
}
