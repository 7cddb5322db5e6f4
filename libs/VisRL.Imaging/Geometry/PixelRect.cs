namespace VisRL.Imaging.Geometry;

/// <summary>An integer pixel rectangle [X, X+Width) × [Y, Y+Height).</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public bool IsEmpty => Width <= 0 || Height <= 0;

    public Box ToBox(int imageWidth, int imageHeight) => Box.FromPixels(X, Y, Right, Bottom, imageWidth, imageHeight);

    public PixelRect Intersect(int imageWidth, int imageHeight)
    {
        int x1 = Math.Clamp(X, 0, imageWidth), y1 = Math.Clamp(Y, 0, imageHeight);
        int x2 = Math.Clamp(Right, 0, imageWidth), y2 = Math.Clamp(Bottom, 0, imageHeight);
        return new PixelRect(x1, y1, Math.Max(0, x2 - x1), Math.Max(0, y2 - y1));
    }
}
