namespace VisRL.Imaging.Synthetic;

public enum ShapeKind
{
    Circle,
    Square,
    Triangle,
    Diamond,
    Hexagon,
}
