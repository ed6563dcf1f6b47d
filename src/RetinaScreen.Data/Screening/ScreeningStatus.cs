namespace RetinaScreen.Data.Screening;

/// <summary>
/// The lifecycle of a screening case. It only moves forward; the numeric order is the order of the steps.
/// </summary>
public enum ScreeningStatus
{
    Received = 0,
    QualityChecked = 10,
    Graded = 20,
    AwaitingReview = 30,
    Reviewed = 40,
    Adjudicated = 50,
    Reported = 60,
}
