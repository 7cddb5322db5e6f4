using VisRL.Modeling;

namespace VisRL.Testing;

/// <summary>
/// The VisRL-Tiny shape every test project trains, serves and samples with: seconds per round on
/// 2 cores. One source file, compiled into each test project that needs it.
/// </summary>
internal static class TinyModel
{
    public static ModelConfig Config { get; } = new()
    {
        ImageSize = 16, PatchSize = 8, VisionDim = 32, VisionLayers = 1, VisionHeads = 2,
        Dim = 32, Layers = 2, Heads = 2, MlpRatio = 2, MaxSequence = 64, CoordinateFrequencies = 4, ImagePool = 1,
        FocusDim = 16, FocusLayers = 1, FocusHeads = 2,
    };
}
