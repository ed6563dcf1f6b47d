using RetinaScreen.Data.Screening;

namespace RetinaScreen.Screening;

/// <summary>What makes a reading complete and in range, field by field (the names are the API's JSON paths).</summary>
internal static class ReadingValidation
{
    public const int MaxComment = 2000;
    public const int MaxOverrideReason = 500;
    public const int MaxUngradableReason = 64;

    public static Dictionary<string, string[]> Validate(CaseKind kind, ReadingInput input)
    {
        var errors = new Dictionary<string, string[]>();
        if (kind == CaseKind.Fundus)
        {
            Eye("right", input.Right, errors);
            Eye("left", input.Left, errors);
            if (input.Metastasis is not null || input.SizeCategory is not null)
            {
                errors["metastasis"] = ["A fundus reading has no metastasis call."];
            }

            if (input.Right is { } right && input.Left is { } left && !errors.ContainsKey("right") && !errors.ContainsKey("left")
                && input.Referral is { } chosen && chosen != ReadingRules.ReferralFor(right, left) && string.IsNullOrWhiteSpace(input.OverrideReason))
            {
                errors["overrideReason"] = [$"The eyes give {ReadingRules.ReferralFor(right, left)}; state why the referral is {chosen}."];
            }
        }
        else
        {
            if (input.Right is not null || input.Left is not null || input.Referral is not null)
            {
                errors["right"] = ["A slide reading has no eyes or referral."];
            }

            switch (input.Metastasis)
            {
                case null:
                    errors["metastasis"] = ["Say whether metastasis is present."];
                    break;
                case true when input.SizeCategory is null || !Enum.IsDefined(input.SizeCategory.Value):
                    errors["sizeCategory"] = ["Give the size category of the metastasis."];
                    break;
                case false when input.SizeCategory is not null:
                    errors["sizeCategory"] = ["A size category needs metastasis present."];
                    break;
            }
        }

        if (input.Referral is { } referral && !Enum.IsDefined(referral))
        {
            errors["referral"] = ["Use Rescreen, Refer or Retake."];
        }

        if (input.Comment?.Length > MaxComment)
        {
            errors["comment"] = [$"At most {MaxComment} characters."];
        }

        if (input.OverrideReason?.Length > MaxOverrideReason)
        {
            errors["overrideReason"] = [$"At most {MaxOverrideReason} characters."];
        }

        return errors;
    }

    private static void Eye(string name, EyeReading? eye, Dictionary<string, string[]> errors)
    {
        if (eye is null)
        {
            errors[name] = ["Read both eyes: a grade and a DME call, or ungradable with a reason."];
        }
        else if (eye.Ungradable)
        {
            if (string.IsNullOrWhiteSpace(eye.UngradableReason) || eye.UngradableReason.Length > MaxUngradableReason)
            {
                errors[name + ".ungradableReason"] = [$"Give the reason the eye is ungradable (at most {MaxUngradableReason} characters)."];
            }

            if (eye.Grade is not null || eye.Dme is not null)
            {
                errors[name] = ["An ungradable eye has no grade or DME call."];
            }
        }
        else
        {
            if (eye.Grade is not (>= 0 and <= 4))
            {
                errors[name + ".grade"] = ["ICDR grade must be 0 to 4."];
            }

            if (eye.Dme is null)
            {
                errors[name + ".dme"] = ["Say whether macular edema is present."];
            }

            if (eye.UngradableReason is not null)
            {
                errors[name + ".ungradableReason"] = ["A graded eye has no ungradable reason."];
            }
        }
    }
}
