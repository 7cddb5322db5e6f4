namespace VisRL.Imaging.Codecs;

/// <summary>PNG color types (IHDR byte 9).</summary>
public enum PngColorType : byte
{
    Gray = 0,
    Rgb = 2,
    Palette = 3,
    GrayAlpha = 4,
    Rgba = 6,
}
