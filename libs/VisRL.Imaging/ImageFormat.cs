namespace VisRL.Imaging;

public enum ImageFormat
{
    Unknown,
    Png,
    Jpeg,
}
