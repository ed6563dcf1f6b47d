namespace RetinaScreen.Data.Screening;

/// <summary>What a screening case holds, which decides the model, the queue and the reading form.</summary>
public enum CaseKind
{
    Fundus,
    Slide,
}
