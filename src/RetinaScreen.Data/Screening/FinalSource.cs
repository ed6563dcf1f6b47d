namespace RetinaScreen.Data.Screening;

/// <summary>Who made a case's final decision.</summary>
public enum FinalSource
{
    /// <summary>The model's answer stands: nothing sent it to a person.</summary>
    Model,

    /// <summary>The readings, agreeing (or the one reading the case needed).</summary>
    Readers,

    /// <summary>An adjudicator settled readings that disagreed.</summary>
    Adjudicator,
}
