using VisRL.Imaging.Codecs;

namespace VisRL.Imaging.Tests;

public class JpegCodecTests
{
    public static TheoryData<string> RealImages => new()
    {
        "bike.jpg", "podium.jpg", "sculpture.jpg", "shedule.jpg", "tel.jpg", "waterview.jpg", "pipeline.png",
    };

    [Theory]
    [MemberData(nameof(RealImages))]
    public void RealImagesMatchImageMagick(string name)
    {
        string path = TestPaths.RealImage(name);
        var ours = ImageCodec.Load(path);
        var reference = ImageMagick.Decode(path);
        Assert.Equal(reference.Width, ours.Width);
        Assert.Equal(reference.Height, ours.Height);
        Assert.Equal((reference.Width, reference.Height), ImageCodec.ReadSize(path));
        double diff = ImageMagick.MeanAbsDiff(ours, reference);
        Assert.True(diff < 3, $"{name}: mean abs diff {diff:F2} against ImageMagick");
        // Sampled pixels: no single sampled pixel may be far off (catches shifted or swapped channels).
        for (int i = 1; i < 50; i++)
        {
            int x = (int)((long)i * 7919 % ours.Width), y = (int)((long)i * 104729 % ours.Height);
            var a = ours[x, y];
            var b = reference[x, y];
            Assert.True(Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B) < 60, $"{name} ({x},{y}): {a} vs {b}");
        }
    }

    [Theory]
    [InlineData(75)]
    [InlineData(95)]
    public void EncodeDecodeRoundTripIsClose(int quality)
    {
        var image = new RgbImage(96, 64);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 96; x++)
                image[x, y] = new Rgb((byte)(x * 2), (byte)(y * 3), (byte)(128 + (x - y)));
        var decoded = ImageCodec.Decode(ImageCodec.EncodeJpeg(image, quality), "round.jpg");
        Assert.True(ImageMagick.MeanAbsDiff(image, decoded) < 3);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void ExifOrientationMatchesImageMagickAutoOrient(int orientation)
    {
        var image = new RgbImage(48, 32);
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 48; x++)
                image[x, y] = x < 16 && y < 8 ? new Rgb(250, 0, 0) : new Rgb((byte)(x * 5), (byte)(y * 7), 60);
        byte[] jpeg = WithExifOrientation(ImageCodec.EncodeJpeg(image, 95), orientation, bigEndian: orientation % 2 == 0);
        Assert.Equal(orientation, ExifOrientation.Read(jpeg));
        string path = Path.Combine(TestPaths.NewTempDirectory(), $"o{orientation}.jpg");
        File.WriteAllBytes(path, jpeg);
        var ours = ImageCodec.Load(path);
        var reference = ImageMagick.Decode(path);
        Assert.Equal((reference.Width, reference.Height), (ours.Width, ours.Height));
        Assert.True(ImageMagick.MeanAbsDiff(ours, reference) < 3);
    }

    [Theory]
    [InlineData("podium.jpg")]
    [InlineData("waterview.jpg")]
    public void TruncatedJpegIsRejectedNamingFileAndDefect(string name)
    {
        byte[] data = File.ReadAllBytes(TestPaths.RealImage(name));
        foreach (double keep in new[] { 0.001, 0.3, 0.9, 0.999 })
        {
            int n = Math.Max(3, (int)(data.Length * keep));
            var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(data.AsSpan(0, n), name));
            Assert.StartsWith(name + ": ", e.Message);
            Assert.Matches("truncated|corrupt", e.Message);
        }
    }

    [Fact]
    public void CorruptJpegStructureIsRejected()
    {
        byte[] data = File.ReadAllBytes(TestPaths.RealImage("podium.jpg"));
        int sos = FindMarker(data, 0xDA);
        // A corrupted scan header, and a marker injected into the entropy-coded data.
        var badScan = (byte[])data.Clone();
        badScan[sos + 4] = 0x7F; // number of components in scan
        var e1 = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(badScan, "scan.jpg"));
        Assert.StartsWith("scan.jpg: ", e1.Message);
        var injected = (byte[])data.Clone();
        injected[data.Length / 2] = 0xFF;
        injected[data.Length / 2 + 1] = 0xD9; // EOI in the middle of the scan
        var e2 = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(injected, "eoi.jpg"));
        Assert.Matches("truncated|corrupt", e2.Message);
    }

    [Fact]
    public void MissingFileAndUnknownFormatNameTheFile()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Load("/nonexistent/none.jpg"));
        Assert.StartsWith("none.jpg: cannot read file", e.Message);
        var g = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode("GIF89a......"u8, "anim.gif"));
        Assert.Equal("anim.gif: unknown image format (neither PNG nor JPEG signature)", g.Message);
    }

    private static int FindMarker(byte[] data, byte marker)
    {
        for (int i = 2; i + 1 < data.Length; i++)
            if (data[i] == 0xFF && data[i + 1] == marker) return i;
        throw new InvalidOperationException("marker not found");
    }

    /// <summary>Inserts an APP1 Exif segment with one Orientation entry right after SOI.</summary>
    internal static byte[] WithExifOrientation(byte[] jpeg, int orientation, bool bigEndian)
    {
        var tiff = new List<byte>();
        void U16(int v) { if (bigEndian) { tiff.Add((byte)(v >> 8)); tiff.Add((byte)v); } else { tiff.Add((byte)v); tiff.Add((byte)(v >> 8)); } }
        void U32(int v) { if (bigEndian) { U16(v >> 16); U16(v & 0xFFFF); } else { U16(v & 0xFFFF); U16(v >> 16); } }
        tiff.AddRange(bigEndian ? "MM"u8.ToArray() : "II"u8.ToArray());
        U16(42); U32(8); U16(1);
        U16(0x0112); U16(3); U32(1); U16(orientation); U16(0);
        U32(0);
        var segment = new List<byte> { 0xFF, 0xE1 };
        int length = 2 + 6 + tiff.Count;
        segment.Add((byte)(length >> 8)); segment.Add((byte)length);
        segment.AddRange("Exif\0\0"u8.ToArray());
        segment.AddRange(tiff);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }
}
