using System.Buffers.Binary;

namespace VisRL.Imaging.Codecs;

/// <summary>
/// Reads the EXIF Orientation tag (0x0112) from a JPEG's APP1 "Exif" segment. EXIF is
/// metadata: a malformed block yields orientation 1 (as stored) rather than failing the decode.
/// </summary>
public static class ExifOrientation
{
    /// <summary>Returns 1..8 (1 = as stored); 1 when there is no usable tag.</summary>
    public static int Read(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return 1;
        int pos = 2;
        while (pos + 4 <= jpeg.Length)
        {
            if (jpeg[pos] != 0xFF) return 1;
            byte marker = jpeg[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            if (marker == 0xDA || marker == 0xD9) return 1; // image data starts: no EXIF before it
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(pos + 2)..]);
            if (length < 2 || pos + 2 + length > jpeg.Length) return 1;
            var segment = jpeg.Slice(pos + 4, length - 2);
            if (marker == 0xE1 && segment.Length > 6 && segment[..6].SequenceEqual("Exif\0\0"u8))
            {
                int value = ReadFromTiff(segment[6..]);
                if (value != 0) return value;
            }
            pos += 2 + length;
        }
        return 1;
    }

    /// <summary>Parses IFD0 of a TIFF block; 0 when absent or malformed.</summary>
    internal static int ReadFromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return 0;
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return 0;
        if (U16(tiff, 2, little) != 42) return 0;
        long ifd = U32(tiff, 4, little);
        if (ifd < 8 || ifd + 2 > tiff.Length) return 0;
        int count = U16(tiff, (int)ifd, little);
        for (int i = 0; i < count; i++)
        {
            int entry = (int)ifd + 2 + i * 12;
            if (entry + 12 > tiff.Length) return 0;
            if (U16(tiff, entry, little) != 0x0112) continue;
            int type = U16(tiff, entry + 2, little);
            // SHORT is the standard type; some writers use LONG.
            int value = type == 3 ? U16(tiff, entry + 8, little) : type == 4 ? (int)Math.Min(U32(tiff, entry + 8, little), 9) : 0;
            return value is >= 1 and <= 8 ? value : 0;
        }
        return 0;
    }

    private static int U16(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt16BigEndian(b[at..]);

    private static long U32(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt32BigEndian(b[at..]);
}
