using System.Buffers.Binary;
using System.IO.Compression;
using VisRL.Imaging.Codecs;

namespace VisRL.Imaging;

/// <summary>Format-sniffing entry point: decode PNG or JPEG by content, not by file extension.</summary>
public static class ImageCodec
{
    public static ImageFormat Sniff(ReadOnlySpan<byte> data) =>
        PngDecoder.IsPng(data) ? ImageFormat.Png : JpegCodec.IsJpeg(data) ? ImageFormat.Jpeg : ImageFormat.Unknown;

    /// <summary>Decodes PNG or JPEG bytes; <paramref name="name"/> appears in error messages.</summary>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string? name = null) => Sniff(data) switch
    {
        ImageFormat.Png => PngDecoder.Decode(data, name),
        ImageFormat.Jpeg => JpegCodec.Decode(data, name),
        _ => throw new ImageDecodeException(name ?? ImageDecodeException.StreamName,
            data.Length == 0 ? "empty file" : "unknown image format (neither PNG nor JPEG signature)"),
    };

    public static RgbImage Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new ImageDecodeException(Path.GetFileName(path), $"cannot read file ({e.Message})", e);
        }
        return Decode(bytes, Path.GetFileName(path));
    }

    /// <summary>Display size (EXIF orientation applied) from the header only.</summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> data, string? name = null)
    {
        string source = name ?? ImageDecodeException.StreamName;
        switch (Sniff(data))
        {
            case ImageFormat.Png:
                if (data.Length < 24) throw new ImageDecodeException(source, "truncated PNG: no IHDR");
                return ((int)BinaryPrimitives.ReadUInt32BigEndian(data[16..]), (int)BinaryPrimitives.ReadUInt32BigEndian(data[20..]));
            case ImageFormat.Jpeg:
                return JpegCodec.ReadSize(data, name);
            default:
                throw new ImageDecodeException(source, "unknown image format (neither PNG nor JPEG signature)");
        }
    }

    public static (int Width, int Height) ReadSize(string path) => ReadSize(File.ReadAllBytes(path), Path.GetFileName(path));

    public static byte[] EncodePng(RgbImage image, CompressionLevel level = CompressionLevel.Fastest) => PngEncoder.Encode(image, level);

    public static byte[] EncodeJpeg(RgbImage image, int quality = 90) => JpegCodec.Encode(image, quality);

    /// <summary>Writes PNG or JPEG by the path's extension (.jpg/.jpeg → JPEG, anything else → PNG).</summary>
    public static void Save(RgbImage image, string path, int jpegQuality = 90)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        byte[] bytes = ext is ".jpg" or ".jpeg" ? EncodeJpeg(image, jpegQuality) : EncodePng(image);
        File.WriteAllBytes(path, bytes);
    }
}
