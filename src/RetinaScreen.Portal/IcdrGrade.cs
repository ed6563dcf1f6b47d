namespace RetinaScreen.Portal;

/// <summary>The International Clinical Diabetic Retinopathy scale, in the words graders use.</summary>
public static class IcdrGrade
{
    public static string? Name(int? grade) => grade switch
    {
        0 => "No DR",
        1 => "Mild NPDR",
        2 => "Moderate NPDR",
        3 => "Severe NPDR",
        4 => "PDR",
        null => null,
        _ => "Unknown grade",
    };
}
