namespace RetinaScreen.Data.Screening;

/// <summary>Where a case waits for a person. Which roles read which queue is the screening module's rule.</summary>
public enum ReadingQueue
{
    /// <summary>Model-referable, ungradable, or sampled for quality assurance: a grader's first reading.</summary>
    Primary,

    /// <summary>A second, independent reading by another grader.</summary>
    SecondRead,

    /// <summary>Two readings disagree: an adjudicator's reading becomes the final one.</summary>
    Adjudication,

    /// <summary>A whole slide the metastasis model flagged (or sampled): a pathologist's reading.</summary>
    Pathology,
}
