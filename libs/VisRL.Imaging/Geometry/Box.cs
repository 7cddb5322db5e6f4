using System.Globalization;

namespace VisRL.Imaging.Geometry;

/// <summary>
/// A box in normalized xyxy form: (X1, Y1) top-left, (X2, Y2) bottom-right, as fractions of the
/// image width (x) and height (y), the form Visual-CoT and VisRL print in prompts.
/// Nothing forces X1 ≤ X2 here, so IoU can mirror torchvision on any input; <see cref="BoxParser"/>
/// produces ordered, clamped boxes.
/// </summary>
public readonly record struct Box(double X1, double Y1, double X2, double Y2)
{
    public static Box Full => new(0, 0, 1, 1);

    public double Width => X2 - X1;
    public double Height => Y2 - Y1;

    /// <summary>(x2-x1)*(y2-y1) exactly like torchvision's box_area (negative for inverted boxes).</summary>
    public double Area => (X2 - X1) * (Y2 - Y1);

    public double CenterX => (X1 + X2) / 2;
    public double CenterY => (Y1 + Y2) / 2;

    public static Box FromPixels(double x1, double y1, double x2, double y2, int width, int height) =>
        new(x1 / width, y1 / height, x2 / width, y2 / height);

    public Box Clamp() => new(Math.Clamp(X1, 0, 1), Math.Clamp(Y1, 0, 1), Math.Clamp(X2, 0, 1), Math.Clamp(Y2, 0, 1));

    public Box Union(Box other) => new(Math.Min(X1, other.X1), Math.Min(Y1, other.Y1), Math.Max(X2, other.X2), Math.Max(Y2, other.Y2));

    /// <summary>The VisCoT text form: <c>[0.133, 0.532, 0.187, 0.553]</c>.</summary>
    public override string ToString() => BoxText.Format(this);

    public string ToString(string format, IFormatProvider? provider) =>
        string.Format(provider ?? CultureInfo.InvariantCulture, "[{0}, {1}, {2}, {3}]", X1.ToString(format, provider), Y1.ToString(format, provider), X2.ToString(format, provider), Y2.ToString(format, provider));
}
