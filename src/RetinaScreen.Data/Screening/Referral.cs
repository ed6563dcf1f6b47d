namespace RetinaScreen.Data.Screening;

/// <summary>The patient-level outcome of a fundus screening.</summary>
public enum Referral
{
    /// <summary>No referable disease: screen again in 12 months.</summary>
    Rescreen,

    /// <summary>Referable diabetic retinopathy or macular edema: refer to an ophthalmologist.</summary>
    Refer,

    /// <summary>At least one eye could not be graded: retake the photograph (or refer when it cannot be retaken).</summary>
    Retake,
}
