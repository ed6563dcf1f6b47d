using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Cli.Synthesis;

/// <summary>One synthetic photograph and what is true about it.</summary>
public sealed record SyntheticFundus(RgbFrame Frame, FundusTruth Truth);
