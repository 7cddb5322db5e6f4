using VisRL.Imaging;

namespace VisRL.DataGeneration;

/// <summary>An item to sample candidates for: the full-resolution scene and the question.</summary>
public sealed record SampleItem(long ItemId, RgbImage Scene, string Question);
