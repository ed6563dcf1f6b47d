namespace RetinaScreen.Data.Screening;

/// <summary>Size category of a lymph-node metastasis (AJCC: &gt; 2 mm, &gt; 0.2–2 mm, ≤ 0.2 mm).</summary>
public enum MetastasisSize
{
    Macrometastasis,
    Micrometastasis,
    IsolatedTumourCells,
}
