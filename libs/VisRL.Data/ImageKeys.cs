using VisRL.Imaging;

namespace VisRL.Data;

/// <summary>Blob keys and content types of dataset images: one key per (dataset, split, ordinal).</summary>
public static class ImageKeys
{
    /// <summary>E.g. <c>datasets/shapes/sft/000042.png</c>; a rerun writes the same key, so a blob left by a crash is overwritten.</summary>
    public static string For(string dataset, string split, int ordinal, ImageFormat format) =>
        $"datasets/{dataset}/{split}/{ordinal:D6}{Extension(format)}";

    public static string Extension(ImageFormat format) => format == ImageFormat.Jpeg ? ".jpg" : ".png";

    public static string ContentType(ImageFormat format) => format == ImageFormat.Jpeg ? "image/jpeg" : "image/png";
}
