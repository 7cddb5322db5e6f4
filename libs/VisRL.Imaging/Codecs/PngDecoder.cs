using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace VisRL.Imaging.Codecs;

/// <summary>
/// PNG decoder on the BCL's <see cref="ZLibStream"/>: all color types and bit depths of the
/// PNG spec, all five filters, Adam7 interlace, CRC of every chunk checked.
/// Alpha (an alpha channel or tRNS) is composited on a white background, because the rest of
/// the pipeline is RGB-only and white is what a viewer shows for transparent document figures.
/// 16-bit samples are reduced to 8 bits with rounding.
/// </summary>
public static class PngDecoder
{
    internal static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    // Adam7 passes: x start, y start, x step, y step.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    public static bool IsPng(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(Signature);

    public static RgbImage Decode(ReadOnlySpan<byte> data, string? name = null)
    {
        string source = name ?? ImageDecodeException.StreamName;
        if (!IsPng(data))
            throw new ImageDecodeException(source, "not a PNG file (bad signature)");

        PngHeader? header = null;
        byte[]? palette = null;     // RGB triples
        byte[]? paletteAlpha = null; // tRNS for palette images
        int[]? transparentKey = null; // tRNS for gray / RGB: raw sample values
        var compressed = new MemoryStream();
        bool sawEnd = false;
        int pos = 8;
        while (pos < data.Length)
        {
            if (data.Length - pos < 12)
                throw new ImageDecodeException(source, $"truncated PNG: incomplete chunk header at byte {pos}");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var typeBytes = data.Slice(pos + 4, 4);
            string type = ChunkName(typeBytes);
            if (length > int.MaxValue || pos + 12L + length > data.Length)
                throw new ImageDecodeException(source, $"truncated PNG: chunk '{type}' at byte {pos} declares {length} bytes, only {data.Length - pos - 12} remain");
            var body = data.Slice(pos + 8, (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            if (Crc32.Compute(data.Slice(pos + 4, 4 + (int)length)) != storedCrc)
                throw new ImageDecodeException(source, $"corrupt PNG: CRC mismatch in chunk '{type}' at byte {pos}");
            if (!IsLetters(typeBytes))
                throw new ImageDecodeException(source, $"corrupt PNG: invalid chunk type at byte {pos}");
            if (header is null && type != "IHDR")
                throw new ImageDecodeException(source, $"corrupt PNG: first chunk is '{type}', expected IHDR");

            switch (type)
            {
                case "IHDR":
                    header = ParseHeader(body, source);
                    break;
                case "PLTE":
                    if (length % 3 != 0 || length == 0 || length > 768)
                        throw new ImageDecodeException(source, $"corrupt PNG: PLTE length {length} is not 3..768 and a multiple of 3");
                    palette = body.ToArray();
                    break;
                case "tRNS":
                    ParseTransparency(body, header!.Value, ref paletteAlpha, ref transparentKey);
                    break;
                case "IDAT":
                    compressed.Write(body);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    // Uppercase first letter = critical: we may not ignore it.
                    if (char.IsUpper(type[0]))
                        throw new ImageDecodeException(source, $"unsupported critical PNG chunk '{type}'");
                    break;
            }
            pos += 12 + (int)length;
            if (sawEnd) break;
        }

        if (header is null)
            throw new ImageDecodeException(source, "truncated PNG: no IHDR chunk");
        if (!sawEnd)
            throw new ImageDecodeException(source, "truncated PNG: file ends before the IEND chunk");
        if (compressed.Length == 0)
            throw new ImageDecodeException(source, "corrupt PNG: no IDAT chunk");
        var h = header.Value;
        if (h.ColorType == PngColorType.Palette && palette is null)
            throw new ImageDecodeException(source, "corrupt PNG: palette image without PLTE chunk");

        byte[] raw = Inflate(compressed, ExpectedRawLength(h), source);
        var image = new RgbImage(h.Width, h.Height);
        var converter = new RowConverter(h, palette, paletteAlpha, transparentKey, source);
        if (!h.Interlaced)
        {
            Unfilter(raw, 0, h.Width, h.Height, h, source);
            int rowBytes = h.RowBytes(h.Width);
            for (int y = 0; y < h.Height; y++)
                converter.Convert(raw.AsSpan(y * (rowBytes + 1) + 1, rowBytes), h.Width, image, 0, y, 1);
        }
        else
        {
            int offset = 0;
            foreach (var (x0, y0, dx, dy) in Adam7)
            {
                int pw = (h.Width - x0 + dx - 1) / dx, ph = (h.Height - y0 + dy - 1) / dy;
                if (pw <= 0 || ph <= 0) continue;
                Unfilter(raw, offset, pw, ph, h, source);
                int rowBytes = h.RowBytes(pw);
                for (int j = 0; j < ph; j++)
                    converter.Convert(raw.AsSpan(offset + j * (rowBytes + 1) + 1, rowBytes), pw, image, x0, y0 + j * dy, dx);
                offset += ph * (rowBytes + 1);
            }
        }
        return image;
    }

    private static PngHeader ParseHeader(ReadOnlySpan<byte> body, string source)
    {
        if (body.Length != 13)
            throw new ImageDecodeException(source, $"corrupt PNG: IHDR has {body.Length} bytes, expected 13");
        uint w = BinaryPrimitives.ReadUInt32BigEndian(body), hgt = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8];
        var type = (PngColorType)body[9];
        if (w == 0 || hgt == 0 || w > int.MaxValue || hgt > int.MaxValue || (long)w * hgt > RgbImage.MaxPixels)
            throw new ImageDecodeException(source, $"unsupported PNG size {w}x{hgt}");
        if (!PngHeader.IsValidDepth(type, depth))
            throw new ImageDecodeException(source, $"corrupt PNG: color type {(int)type} with bit depth {depth} is invalid");
        if (body[10] != 0 || body[11] != 0)
            throw new ImageDecodeException(source, "corrupt PNG: unknown compression or filter method");
        if (body[12] > 1)
            throw new ImageDecodeException(source, $"corrupt PNG: unknown interlace method {body[12]}");
        return new PngHeader((int)w, (int)hgt, depth, type, body[12] == 1);
    }

    private static void ParseTransparency(ReadOnlySpan<byte> body, PngHeader h, ref byte[]? paletteAlpha, ref int[]? key)
    {
        switch (h.ColorType)
        {
            case PngColorType.Palette:
                paletteAlpha = body.ToArray();
                break;
            case PngColorType.Gray when body.Length >= 2:
                key = [BinaryPrimitives.ReadUInt16BigEndian(body)];
                break;
            case PngColorType.Rgb when body.Length >= 6:
                key = [BinaryPrimitives.ReadUInt16BigEndian(body), BinaryPrimitives.ReadUInt16BigEndian(body[2..]), BinaryPrimitives.ReadUInt16BigEndian(body[4..])];
                break;
        }
    }

    private static long ExpectedRawLength(PngHeader h)
    {
        if (!h.Interlaced) return (long)h.Height * (h.RowBytes(h.Width) + 1);
        long total = 0;
        foreach (var (x0, y0, dx, dy) in Adam7)
        {
            int pw = (h.Width - x0 + dx - 1) / dx, ph = (h.Height - y0 + dy - 1) / dy;
            if (pw > 0 && ph > 0) total += (long)ph * (h.RowBytes(pw) + 1);
        }
        return total;
    }

    private static byte[] Inflate(MemoryStream compressed, long expected, string source)
    {
        if (expected > int.MaxValue)
            throw new ImageDecodeException(source, "unsupported PNG: image data exceeds 2 GiB");
        var raw = new byte[expected];
        compressed.Position = 0;
        int got;
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            // Read only what the header promises: a decompression bomb cannot make us read more.
            got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new ImageDecodeException(source, $"corrupt PNG: bad zlib data in IDAT ({e.Message})", e);
        }
        if (got < raw.Length)
            throw new ImageDecodeException(source, $"truncated PNG: image data holds {got} of {raw.Length} bytes");
        return raw;
    }

    private static void Unfilter(byte[] raw, int offset, int width, int height, PngHeader h, string source)
    {
        int rowBytes = h.RowBytes(width), bpp = h.FilterStride;
        for (int y = 0; y < height; y++)
        {
            int start = offset + y * (rowBytes + 1);
            int filter = raw[start];
            var row = raw.AsSpan(start + 1, rowBytes);
            var prior = y == 0 ? default : raw.AsSpan(start - rowBytes, rowBytes);
            bool first = y == 0;
            switch (filter)
            {
                case 0:
                    break;
                case 1:
                    for (int i = bpp; i < rowBytes; i++) row[i] += row[i - bpp];
                    break;
                case 2:
                    if (!first) for (int i = 0; i < rowBytes; i++) row[i] += prior[i];
                    break;
                case 3:
                    for (int i = 0; i < rowBytes; i++)
                    {
                        int left = i >= bpp ? row[i - bpp] : 0, up = first ? 0 : prior[i];
                        row[i] += (byte)((left + up) >> 1);
                    }
                    break;
                case 4:
                    for (int i = 0; i < rowBytes; i++)
                    {
                        int a = i >= bpp ? row[i - bpp] : 0, b = first ? 0 : prior[i], c = (i >= bpp && !first) ? prior[i - bpp] : 0;
                        row[i] += Paeth(a, b, c);
                    }
                    break;
                default:
                    throw new ImageDecodeException(source, $"corrupt PNG: invalid filter type {filter} on row {y}");
            }
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    private static string ChunkName(ReadOnlySpan<byte> type) => Encoding.ASCII.GetString(type);

    private static bool IsLetters(ReadOnlySpan<byte> type)
    {
        foreach (byte b in type)
            if (!((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z'))) return false;
        return true;
    }

    /// <summary>Turns one unfiltered scanline into RGB pixels, compositing alpha on white.</summary>
    private sealed class RowConverter(PngHeader h, byte[]? palette, byte[]? paletteAlpha, int[]? key, string source)
    {
        private readonly int _maxSample = (1 << h.BitDepth) - 1;

        public void Convert(ReadOnlySpan<byte> row, int count, RgbImage image, int x0, int y, int dx)
        {
            var dst = image.Pixels;
            int baseIndex = y * image.Stride;
            // Fast path: the common 8-bit RGB layout is a straight copy.
            if (h.ColorType == PngColorType.Rgb && h.BitDepth == 8 && dx == 1 && key is null)
            {
                row[..(count * 3)].CopyTo(dst.AsSpan(baseIndex));
                return;
            }
            for (int i = 0; i < count; i++)
            {
                int r, g, b, a = 255;
                switch (h.ColorType)
                {
                    case PngColorType.Gray:
                        {
                            int v = Sample(row, i);
                            if (key is not null && v == key[0]) a = 0;
                            r = g = b = To8(v);
                            break;
                        }
                    case PngColorType.GrayAlpha:
                        r = g = b = To8(Sample(row, 2 * i));
                        a = To8(Sample(row, 2 * i + 1));
                        break;
                    case PngColorType.Rgb:
                        {
                            int sr = Sample(row, 3 * i), sg = Sample(row, 3 * i + 1), sb = Sample(row, 3 * i + 2);
                            if (key is not null && sr == key[0] && sg == key[1] && sb == key[2]) a = 0;
                            r = To8(sr); g = To8(sg); b = To8(sb);
                            break;
                        }
                    case PngColorType.Rgba:
                        r = To8(Sample(row, 4 * i)); g = To8(Sample(row, 4 * i + 1));
                        b = To8(Sample(row, 4 * i + 2)); a = To8(Sample(row, 4 * i + 3));
                        break;
                    default:
                        {
                            int index = Sample(row, i);
                            if (index * 3 + 2 >= palette!.Length)
                                throw new ImageDecodeException(source, $"corrupt PNG: palette index {index} beyond the {palette.Length / 3}-entry PLTE");
                            r = palette[index * 3]; g = palette[index * 3 + 1]; b = palette[index * 3 + 2];
                            if (paletteAlpha is not null && index < paletteAlpha.Length) a = paletteAlpha[index];
                            break;
                        }
                }
                if (a != 255)
                {
                    int inv = 255 - a;
                    r = (r * a + 255 * inv + 127) / 255;
                    g = (g * a + 255 * inv + 127) / 255;
                    b = (b * a + 255 * inv + 127) / 255;
                }
                int d = baseIndex + (x0 + i * dx) * 3;
                dst[d] = (byte)r; dst[d + 1] = (byte)g; dst[d + 2] = (byte)b;
            }
        }

        /// <summary>The k-th sample of the row at the image's bit depth, unscaled.</summary>
        private int Sample(ReadOnlySpan<byte> row, int k)
        {
            switch (h.BitDepth)
            {
                case 8: return row[k];
                case 16: return (row[2 * k] << 8) | row[2 * k + 1];
                default:
                    int bit = k * h.BitDepth;
                    return (row[bit >> 3] >> (8 - h.BitDepth - (bit & 7))) & _maxSample;
            }
        }

        private int To8(int v) => h.BitDepth == 8 ? v : (v * 255 + _maxSample / 2) / _maxSample;
    }
}
