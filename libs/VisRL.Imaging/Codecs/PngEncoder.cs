using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace VisRL.Imaging.Codecs;

/// <summary>
/// PNG encoder on <see cref="ZLibStream"/>. <see cref="Encode(RgbImage, CompressionLevel)"/> writes 8-bit RGB;
/// <see cref="EncodeRaw"/> writes any non-interlaced color type from packed scanlines (used by
/// tests to produce gray, gray+alpha, palette and 16-bit files).
/// </summary>
public static class PngEncoder
{
    public static byte[] Encode(RgbImage image, CompressionLevel level = CompressionLevel.Fastest)
    {
        ArgumentNullException.ThrowIfNull(image);
        return EncodeRaw(image.Width, image.Height, PngColorType.Rgb, 8, image.Pixels, level: level);
    }

    /// <summary>
    /// Writes a PNG from packed, unfiltered scanlines (rows of ceil(width*bitsPerPixel/8) bytes,
    /// 16-bit samples big-endian). Each row gets the filter with the smallest sum of absolute
    /// residuals, the heuristic the PNG spec recommends.
    /// </summary>
    public static byte[] EncodeRaw(int width, int height, PngColorType colorType, int bitDepth, ReadOnlySpan<byte> packedRows,
        ReadOnlySpan<byte> palette = default, ReadOnlySpan<byte> transparency = default, CompressionLevel level = CompressionLevel.Fastest)
    {
        if (!PngHeader.IsValidDepth(colorType, bitDepth))
            throw new ArgumentException($"bit depth {bitDepth} is invalid for {colorType}");
        var header = new PngHeader(width, height, bitDepth, colorType, false);
        int rowBytes = header.RowBytes(width), bpp = header.FilterStride;
        if (packedRows.Length != (long)rowBytes * height)
            throw new ArgumentException($"expected {(long)rowBytes * height} bytes of scanlines, got {packedRows.Length}");
        if (colorType == PngColorType.Palette && palette.IsEmpty)
            throw new ArgumentException("a palette image needs a palette");

        var output = new MemoryStream();
        output.Write(PngDecoder.Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = (byte)bitDepth; ihdr[9] = (byte)colorType; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
        WriteChunk(output, "IHDR", ihdr);
        if (!palette.IsEmpty) WriteChunk(output, "PLTE", palette);
        if (!transparency.IsEmpty) WriteChunk(output, "tRNS", transparency);

        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, level, leaveOpen: true))
        {
            var candidate = new byte[5][];
            for (int f = 0; f < 5; f++) candidate[f] = new byte[rowBytes + 1];
            for (int y = 0; y < height; y++)
            {
                var row = packedRows.Slice(y * rowBytes, rowBytes);
                var prior = y == 0 ? default : packedRows.Slice((y - 1) * rowBytes, rowBytes);
                int best = 0;
                long bestScore = long.MaxValue;
                for (int f = 0; f < 5; f++)
                {
                    long score = Filter(f, row, prior, bpp, candidate[f]);
                    if (score < bestScore) { bestScore = score; best = f; }
                }
                z.Write(candidate[best]);
            }
        }
        WriteChunk(output, "IDAT", idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(output, "IEND", ReadOnlySpan<byte>.Empty);
        return output.ToArray();
    }

    /// <summary>Writes filter <paramref name="type"/> of a row into dst[1..] and returns the sum of
    /// absolute residuals. One loop per filter: a switch per byte costs more than the filtering.</summary>
    private static long Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, byte[] dst)
    {
        dst[0] = (byte)type;
        var d = dst.AsSpan(1, row.Length);
        bool first = prior.IsEmpty;
        int n = row.Length, head = Math.Min(bpp, n);
        switch (type)
        {
            case 0:
                row.CopyTo(d);
                break;
            case 1:
                row[..head].CopyTo(d);
                for (int i = bpp; i < n; i++) d[i] = (byte)(row[i] - row[i - bpp]);
                break;
            case 2:
                if (first) row.CopyTo(d);
                else for (int i = 0; i < n; i++) d[i] = (byte)(row[i] - prior[i]);
                break;
            case 3:
                for (int i = 0; i < head; i++) d[i] = (byte)(row[i] - ((first ? 0 : prior[i]) >> 1));
                if (first) for (int i = bpp; i < n; i++) d[i] = (byte)(row[i] - (row[i - bpp] >> 1));
                else for (int i = bpp; i < n; i++) d[i] = (byte)(row[i] - ((row[i - bpp] + prior[i]) >> 1));
                break;
            default:
                // With no prior row Paeth reduces to Sub; the first bpp bytes reduce to Up.
                for (int i = 0; i < head; i++) d[i] = (byte)(row[i] - (first ? 0 : prior[i]));
                if (first) for (int i = bpp; i < n; i++) d[i] = (byte)(row[i] - row[i - bpp]);
                else for (int i = bpp; i < n; i++) d[i] = (byte)(row[i] - PaethPredictor(row[i - bpp], prior[i], prior[i - bpp]));
                break;
        }
        long score = 0;
        foreach (byte v in d) score += v < 128 ? v : 256 - v;
        return score;
    }

    private static int PaethPredictor(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)body.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(body);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), body) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}
