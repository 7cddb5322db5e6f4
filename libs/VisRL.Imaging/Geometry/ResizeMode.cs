namespace VisRL.Imaging.Geometry;

public enum ResizeMode
{
    Area,
    Bilinear,
}
