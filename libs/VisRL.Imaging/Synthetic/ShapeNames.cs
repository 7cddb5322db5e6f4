namespace VisRL.Imaging.Synthetic;

public static class ShapeNames
{
    public static string Of(ShapeKind shape) => shape switch
    {
        ShapeKind.Circle => "circle",
        ShapeKind.Square => "square",
        ShapeKind.Triangle => "triangle",
        ShapeKind.Diamond => "diamond",
        _ => "hexagon",
    };
}
