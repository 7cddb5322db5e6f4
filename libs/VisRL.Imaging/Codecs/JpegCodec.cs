using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Codecs;

/// <summary>
/// JPEG decode (baseline and progressive) and encode through libturbojpeg. Any TurboJPEG
/// warning (truncated data, corrupt entropy data, extraneous bytes) is an error: a caller gets
/// either the real pixels or an <see cref="ImageDecodeException"/>, never silently gray blocks.
/// EXIF orientation is applied after decoding.
/// </summary>
public static unsafe class JpegCodec
{
    // One handle per thread: TurboJPEG handles are not thread-safe, and creating one per call
    // costs an allocation of libjpeg state. Handles live as long as their thread.
    [ThreadStatic] private static nint _decompressor;
    [ThreadStatic] private static nint _compressor;

    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    public static RgbImage Decode(ReadOnlySpan<byte> data, string? name = null, bool applyOrientation = true)
    {
        string source = name ?? ImageDecodeException.StreamName;
        if (!IsJpeg(data))
            throw new ImageDecodeException(source, "not a JPEG file (no SOI marker)");
        nint handle = Decompressor();
        RgbImage image;
        fixed (byte* src = data)
        {
            if (TurboJpegNative.tjDecompressHeader3(handle, src, (nuint)data.Length, out int width, out int height, out _, out int colorspace) != 0)
                throw new ImageDecodeException(source, $"corrupt JPEG header ({TurboJpegNative.ErrorText(handle)})");
            // A header cut before the frame marker parses "successfully" as 0x0.
            if (width <= 0 || height <= 0)
                throw new ImageDecodeException(source, "truncated or corrupt JPEG header (no frame size)");
            if ((long)width * height > RgbImage.MaxPixels)
                throw new ImageDecodeException(source, $"unsupported JPEG size {width}x{height}");
            int flags = TurboJpegNative.FlagAccurateDct | TurboJpegNative.FlagStopOnWarning | TurboJpegNative.FlagLimitScans;
            image = new RgbImage(width, height);
            if (colorspace is TurboJpegNative.ColorspaceCmyk or TurboJpegNative.ColorspaceYcck)
            {
                var cmyk = new byte[(long)width * height * 4];
                fixed (byte* dst = cmyk)
                    Check(TurboJpegNative.tjDecompress2(handle, src, (nuint)data.Length, dst, width, width * 4, height, TurboJpegNative.PixelFormatCmyk, flags), handle, source);
                CmykToRgb(cmyk, image.Pixels);
            }
            else
            {
                fixed (byte* dst = image.Pixels)
                    Check(TurboJpegNative.tjDecompress2(handle, src, (nuint)data.Length, dst, width, width * 3, height, TurboJpegNative.PixelFormatRgb, flags), handle, source);
            }
        }
        if (!applyOrientation) return image;
        return Orientation.Apply(image, ExifOrientation.Read(data));
    }

    /// <summary>Width and height after EXIF orientation, from the header only.</summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> data, string? name = null)
    {
        string source = name ?? ImageDecodeException.StreamName;
        if (!IsJpeg(data))
            throw new ImageDecodeException(source, "not a JPEG file (no SOI marker)");
        nint handle = Decompressor();
        fixed (byte* src = data)
        {
            if (TurboJpegNative.tjDecompressHeader3(handle, src, (nuint)data.Length, out int width, out int height, out _, out _) != 0)
                throw new ImageDecodeException(source, $"corrupt JPEG header ({TurboJpegNative.ErrorText(handle)})");
            if (width <= 0 || height <= 0)
                throw new ImageDecodeException(source, "truncated or corrupt JPEG header (no frame size)");
            return ExifOrientation.Read(data) >= 5 ? (height, width) : (width, height);
        }
    }

    /// <summary>Baseline JPEG, 4:2:0 chroma subsampling (4:4:4 at quality ≥ 95), accurate DCT.</summary>
    public static byte[] Encode(RgbImage image, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), "JPEG quality is 1..100");
        nint handle = Compressor();
        byte* jpeg = null;
        nuint size = 0;
        int subsampling = quality >= 95 ? TurboJpegNative.Subsampling444 : TurboJpegNative.Subsampling420;
        try
        {
            fixed (byte* src = image.Pixels)
            {
                if (TurboJpegNative.tjCompress2(handle, src, image.Width, image.Stride, image.Height, TurboJpegNative.PixelFormatRgb,
                        &jpeg, &size, subsampling, quality, TurboJpegNative.FlagAccurateDct) != 0)
                    throw new InvalidOperationException($"TurboJPEG compression failed: {TurboJpegNative.ErrorText(handle)}");
            }
            return new ReadOnlySpan<byte>(jpeg, checked((int)size)).ToArray();
        }
        finally
        {
            if (jpeg != null) TurboJpegNative.tjFree(jpeg);
        }
    }

    private static void Check(int result, nint handle, string source)
    {
        if (result == 0) return;
        string text = TurboJpegNative.ErrorText(handle);
        bool warning = TurboJpegNative.tjGetErrorCode(handle) == TurboJpegNative.ErrorWarning;
        string kind = text.Contains("Premature end", StringComparison.OrdinalIgnoreCase) ? "truncated JPEG data" : warning ? "corrupt JPEG data" : "JPEG decode failed";
        throw new ImageDecodeException(source, $"{kind} ({text})");
    }

    /// <summary>Adobe-style inverted CMYK, as libjpeg hands it out.</summary>
    private static void CmykToRgb(byte[] cmyk, byte[] rgb)
    {
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            int k = cmyk[i + 3];
            rgb[j] = (byte)((cmyk[i] * k + 127) / 255);
            rgb[j + 1] = (byte)((cmyk[i + 1] * k + 127) / 255);
            rgb[j + 2] = (byte)((cmyk[i + 2] * k + 127) / 255);
        }
    }

    private static nint Decompressor()
    {
        if (_decompressor == 0) _decompressor = Init(true);
        return _decompressor;
    }

    private static nint Compressor()
    {
        if (_compressor == 0) _compressor = Init(false);
        return _compressor;
    }

    private static nint Init(bool decompress)
    {
        try
        {
            nint handle = decompress ? TurboJpegNative.tjInitDecompress() : TurboJpegNative.tjInitCompress();
            if (handle == 0) throw new InvalidOperationException("TurboJPEG could not create a handle");
            return handle;
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException("libturbojpeg.so.0 not found: install the Debian package libturbojpeg0 (run the project's install script)", e);
        }
    }
}
