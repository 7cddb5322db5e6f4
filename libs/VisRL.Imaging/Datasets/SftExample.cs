namespace VisRL.Imaging.Datasets;

/// <summary>An SFT example: the row, and for the two-turn format the crop image shown in turn 2.</summary>
public sealed record SftExample(DatasetRow Row, string? CropImagePath = null);
