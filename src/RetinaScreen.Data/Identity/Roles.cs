namespace RetinaScreen.Data.Identity;

public static class Roles
{
    public const string Grader = "Grader";
    public const string Adjudicator = "Adjudicator";
    public const string Pathologist = "Pathologist";
    public const string Admin = "Admin";

    public static readonly IReadOnlyList<string> All = [Grader, Adjudicator, Pathologist, Admin];
}
