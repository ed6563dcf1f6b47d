namespace RetinaScreen.Inference.Quality;

/// <summary>Image-quality measurements of one photograph (the input of the gradability decision and, later, of a learned classifier).</summary>
/// <param name="FieldFraction">Share of the frame covered by the illuminated fundus field.</param>
/// <param name="CentreOffset">Distance of the field's centroid from the frame centre, as a fraction of the frame's shorter side.</param>
/// <param name="FieldFill">Field pixels over the area of the circle that fits the field's bounding box (≈ 1 for an unobstructed, uncut field).</param>
/// <param name="FieldAspect">Shorter over longer side of the field's bounding box.</param>
/// <param name="MeanLuma">Mean Rec. 601 luma over the field (0–255).</param>
/// <param name="LumaP05">5th percentile of field luma.</param>
/// <param name="LumaP95">95th percentile of field luma.</param>
/// <param name="SaturatedFraction">Share of field pixels with a channel at 250 or more.</param>
/// <param name="ShadowFraction">Share of field pixels darker than 30 % of the field's 90th-percentile luma (lash or lid shadow).</param>
/// <param name="Contrast">Standard deviation of the green channel over the field.</param>
/// <param name="Sharpness">Variance of the green channel's Laplacian over the field's interior, divided by the green variance.</param>
public sealed record QualityFeatures(
    double FieldFraction,
    double CentreOffset,
    double FieldFill,
    double FieldAspect,
    double MeanLuma,
    double LumaP05,
    double LumaP95,
    double SaturatedFraction,
    double ShadowFraction,
    double Contrast,
    double Sharpness);
