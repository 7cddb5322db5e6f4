using System.IO.Compression;
using VisRL.Imaging.Codecs;

namespace VisRL.Imaging.Tests;

public class PngCodecTests
{
    private static RgbImage Pattern(int w, int h)
    {
        var image = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                image[x, y] = new Rgb((byte)(x * 37 + y), (byte)(y * 53 ^ x), (byte)((x * y) & 0xFF));
        return image;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(64, 48)]
    public void Rgb8RoundTripIsExact(int w, int h)
    {
        var image = Pattern(w, h);
        var decoded = PngDecoder.Decode(PngEncoder.Encode(image, CompressionLevel.Optimal));
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void GrayAtEveryDepthDecodesToScaledGray(int depth)
    {
        int w = 13, h = 5, max = (1 << depth) - 1;
        var values = new int[w * h];
        for (int i = 0; i < values.Length; i++) values[i] = (i * 7) % (max + 1);
        var packed = Pack(values, w, h, depth, 1);
        var decoded = PngDecoder.Decode(PngEncoder.EncodeRaw(w, h, PngColorType.Gray, depth, packed));
        for (int i = 0; i < values.Length; i++)
        {
            int expected = (int)Math.Round(values[i] * 255.0 / max);
            var p = decoded[i % w, i / w];
            Assert.InRange(p.R, expected - 1, expected + 1);
            Assert.Equal(p.R, p.G);
            Assert.Equal(p.R, p.B);
        }
    }

    [Fact]
    public void GrayAlphaIsCompositedOnWhite()
    {
        // gray 0 at alpha 0 → white, gray 0 at alpha 255 → black, gray 100 at alpha 128 → mix.
        byte[] packed = [0, 0, 0, 255, 100, 128];
        var decoded = PngDecoder.Decode(PngEncoder.EncodeRaw(3, 1, PngColorType.GrayAlpha, 8, packed));
        Assert.Equal(new Rgb(255, 255, 255), decoded[0, 0]);
        Assert.Equal(new Rgb(0, 0, 0), decoded[1, 0]);
        int mix = (100 * 128 + 255 * 127 + 127) / 255;
        Assert.Equal(new Rgb((byte)mix, (byte)mix, (byte)mix), decoded[2, 0]);
    }

    [Fact]
    public void RgbaIsCompositedOnWhite()
    {
        byte[] packed = [255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 128];
        var decoded = PngDecoder.Decode(PngEncoder.EncodeRaw(3, 1, PngColorType.Rgba, 8, packed));
        Assert.Equal(new Rgb(255, 0, 0), decoded[0, 0]);
        Assert.Equal(Rgb.White, decoded[1, 0]);
        Assert.Equal(new Rgb(127, 127, 255), decoded[2, 0]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void PaletteWithTransparencyDecodes(int depth)
    {
        int entries = 1 << depth;
        var palette = new byte[entries * 3];
        for (int i = 0; i < entries; i++) { palette[3 * i] = (byte)(i * 10); palette[3 * i + 1] = (byte)(255 - i); palette[3 * i + 2] = 7; }
        byte[] alpha = [0]; // entry 0 fully transparent → white
        int w = 9, h = 4;
        var indices = new int[w * h];
        for (int i = 0; i < indices.Length; i++) indices[i] = (i * 5 + 1) % entries;
        var decoded = PngDecoder.Decode(PngEncoder.EncodeRaw(w, h, PngColorType.Palette, depth, Pack(indices, w, h, depth, 1), palette, alpha));
        for (int i = 0; i < indices.Length; i++)
        {
            int k = indices[i];
            var expected = k == 0 ? Rgb.White : new Rgb(palette[3 * k], palette[3 * k + 1], palette[3 * k + 2]);
            Assert.Equal(expected, decoded[i % w, i / w]);
        }
    }

    [Fact]
    public void Rgb16AndRgbTransparencyKeyDecode()
    {
        // Two pixels: (0x1234, 0xFFFF, 0x0000) and the tRNS key colour (0x0101, 0x0202, 0x0303).
        byte[] packed = [0x12, 0x34, 0xFF, 0xFF, 0, 0, 0x01, 0x01, 0x02, 0x02, 0x03, 0x03];
        byte[] key = [0x01, 0x01, 0x02, 0x02, 0x03, 0x03];
        var decoded = PngDecoder.Decode(PngEncoder.EncodeRaw(2, 1, PngColorType.Rgb, 16, packed, transparency: key));
        Assert.Equal(new Rgb((byte)Math.Round(0x1234 / 257.0), 255, 0), decoded[0, 0]);
        Assert.Equal(Rgb.White, decoded[1, 0]);
    }

    public static TheoryData<string> ImageMagickVariants => new()
    {
        "-interlace PNG PNG24:",          // Adam7 RGB
        "-interlace PNG -depth 16 PNG48:", // Adam7 16-bit
        "-depth 16 PNG48:",
        "-alpha set -channel A -evaluate set 60% +channel -depth 16 PNG64:",
        "-colorspace Gray -depth 8 PNG8:",
        "-colors 50 PNG8:",                // palette
        "-interlace PNG -colors 12 PNG8:",  // interlaced palette
        "-colorspace Gray -alpha set -channel A -evaluate set 50% +channel -define png:color-type=4 PNG32:", // gray+alpha
        "-colorspace Gray -depth 2 -define png:bit-depth=2 -define png:color-type=0 PNG:",
    };

    [Theory]
    [MemberData(nameof(ImageMagickVariants))]
    public void FilesWrittenByImageMagickMatchItsOwnDecoding(string options)
    {
        ImageMagick.Require();
        string dir = TestPaths.NewTempDirectory();
        string source = Path.Combine(dir, "source.png");
        File.WriteAllBytes(source, PngEncoder.Encode(Pattern(37, 29)));
        string target = Path.Combine(dir, "variant.png");
        int split = options.LastIndexOf(' ');
        ImageMagick.Run($"\"{source}\" {options[..split]} {options[(split + 1)..]}\"{target}\"");
        var ours = ImageCodec.Load(target);
        var reference = ImageMagick.Decode(target);
        Assert.True(ImageMagick.MeanAbsDiff(ours, reference) < 0.6, $"{options}: mean abs diff {ImageMagick.MeanAbsDiff(ours, reference):F2}");
    }

    [Fact]
    public void TruncatedPngIsRejectedNamingFileAndDefect()
    {
        byte[] png = PngEncoder.Encode(Pattern(40, 40));
        foreach (int keep in new[] { 4, 20, png.Length / 2, png.Length - 5 })
        {
            var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(png.AsSpan(0, keep), "cut.png"));
            Assert.StartsWith("cut.png: ", e.Message);
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("signature"), e.Message);
        }
    }

    [Fact]
    public void BitFlipsAnywhereAreRejectedByCrcOrStructure()
    {
        byte[] png = PngEncoder.Encode(Pattern(40, 40));
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var copy = (byte[])png.Clone();
            int at = rng.Next(copy.Length);
            copy[at] ^= (byte)(1 << rng.Next(8));
            var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(copy, "flip.png"));
            Assert.StartsWith("flip.png: ", e.Message);
        }
    }

    [Fact]
    public void StreamErrorsSayStream()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(new byte[] { 1, 2, 3 }));
        Assert.StartsWith("<stream>: ", e.Message);
    }

    /// <summary>Packs sample values into PNG scanlines (MSB first for sub-byte depths, big-endian 16-bit).</summary>
    internal static byte[] Pack(int[] samples, int w, int h, int depth, int channels)
    {
        int rowBytes = (w * channels * depth + 7) / 8;
        var packed = new byte[rowBytes * h];
        for (int y = 0; y < h; y++)
        {
            for (int k = 0; k < w * channels; k++)
            {
                int v = samples[y * w * channels + k];
                if (depth == 16) { packed[y * rowBytes + 2 * k] = (byte)(v >> 8); packed[y * rowBytes + 2 * k + 1] = (byte)v; }
                else if (depth == 8) packed[y * rowBytes + k] = (byte)v;
                else
                {
                    int bit = k * depth;
                    packed[y * rowBytes + (bit >> 3)] |= (byte)(v << (8 - depth - (bit & 7)));
                }
            }
        }
        return packed;
    }
}
