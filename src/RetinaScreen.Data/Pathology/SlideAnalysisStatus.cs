namespace RetinaScreen.Data.Pathology;

/// <summary>Where a slide analysis stands.</summary>
public enum SlideAnalysisStatus
{
    Running = 0,
    Completed = 1,
    Failed = 2,
}
