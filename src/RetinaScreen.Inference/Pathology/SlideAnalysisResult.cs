using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Pathology;

/// <summary>How far an analysis has got: tiles read (and their tissue patches queued for the model) out of all tiles.</summary>
public readonly record struct SlideProgress(int TilesAnalysed, int TilesTotal, int TissuePatches);

/// <summary>A scored patch, in slide pixels (0-based, top left origin of the total pixel matrix).</summary>
public sealed record SlideRegion(int X, int Y, int Width, int Height, double Probability);

/// <summary>
/// Patch probabilities on the slide's patch grid: cell (column, row) covers slide pixels from (column·stride,
/// row·stride), patch-size square. NaN marks background (or a cell no frame covers): never scored.
/// </summary>
public sealed record PatchGrid(int Columns, int Rows, int Stride, int PatchSize, float[] Probabilities)
{
    public float this[int column, int row] => Probabilities[row * Columns + column];
}

/// <summary>What one metastasis model found on one slide.</summary>
public sealed record SlideAnalysisResult
{
    public required ModelIdentity Model { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int TilesTotal { get; init; }
    public required int TilesAnalysed { get; init; }

    /// <summary>Patches on the grid (tissue and background).</summary>
    public required int Patches { get; init; }
    public required int TissuePatches { get; init; }

    /// <summary>The slide's metastasis probability by the card's aggregation (top-k mean); 0 for a slide without tissue.</summary>
    public required double Probability { get; init; }

    /// <summary>The card's slide operating point, applied to <see cref="Probability"/>.</summary>
    public required double Threshold { get; init; }
    public bool Positive => Probability >= Threshold;
    public required IReadOnlyList<SlideRegion> TopRegions { get; init; }
    public required PatchGrid Grid { get; init; }

    /// <summary>The slide downscaled to at most the configured side, for the heatmap.</summary>
    public required RgbFrame Overview { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required TimeSpan Inference { get; init; }
}
