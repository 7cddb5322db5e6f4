using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Datasets;

/// <summary>
/// One VQA item, whatever file it came from. <see cref="GtBox"/> is normalized to the original
/// image (VisRL's convention: crop pixel = int(coordinate × size)).
/// </summary>
public sealed record DatasetRow(string ImagePath, string Question, string Answer, Box? GtBox, string? Family, int SourceIndex);
