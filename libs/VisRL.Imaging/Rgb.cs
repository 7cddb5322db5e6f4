namespace VisRL.Imaging;

/// <summary>An 8-bit sRGB color.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb White => new(255, 255, 255);
    public static Rgb Black => new(0, 0, 0);

    /// <summary>Rec. 601 luma, the weighting PIL's "L" conversion uses.</summary>
    public double Luma => 0.299 * R + 0.587 * G + 0.114 * B;

    public override string ToString() => $"#{R:X2}{G:X2}{B:X2}";
}
