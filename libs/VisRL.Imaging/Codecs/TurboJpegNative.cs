using System.Runtime.InteropServices;

namespace VisRL.Imaging.Codecs;

/// <summary>
/// P/Invoke declarations for the TurboJPEG C API of libjpeg-turbo 2.1 (Debian 12 package
/// <c>libturbojpeg0</c>, library <c>libturbojpeg.so.0</c>). Only the 2.x-era functions are used,
/// which 3.x still exports.
/// </summary>
internal static unsafe partial class TurboJpegNative
{
    private const string Library = "libturbojpeg.so.0";

    public const int PixelFormatRgb = 0;   // TJPF_RGB
    public const int PixelFormatCmyk = 11; // TJPF_CMYK
    public const int ColorspaceCmyk = 3;   // TJCS_CMYK
    public const int ColorspaceYcck = 4;   // TJCS_YCCK
    public const int Subsampling444 = 0;   // TJSAMP_444
    public const int Subsampling420 = 2;   // TJSAMP_420
    public const int FlagAccurateDct = 4096;     // TJFLAG_ACCURATEDCT
    public const int FlagStopOnWarning = 8192;   // TJFLAG_STOPONWARNING
    public const int FlagLimitScans = 32768;     // TJFLAG_LIMITSCANS: refuse progressive files with >500 scans (no hang)
    public const int ErrorWarning = 0;           // TJERR_WARNING

    [LibraryImport(Library)]
    public static partial nint tjInitDecompress();

    [LibraryImport(Library)]
    public static partial nint tjInitCompress();

    [LibraryImport(Library)]
    public static partial int tjDestroy(nint handle);

    [LibraryImport(Library)]
    public static partial int tjDecompressHeader3(nint handle, byte* jpegBuf, nuint jpegSize, out int width, out int height, out int subsampling, out int colorspace);

    [LibraryImport(Library)]
    public static partial int tjDecompress2(nint handle, byte* jpegBuf, nuint jpegSize, byte* dstBuf, int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Library)]
    public static partial int tjCompress2(nint handle, byte* srcBuf, int width, int pitch, int height, int pixelFormat, byte** jpegBuf, nuint* jpegSize, int subsampling, int quality, int flags);

    [LibraryImport(Library)]
    public static partial void tjFree(byte* buffer);

    [LibraryImport(Library)]
    public static partial nint tjGetErrorStr2(nint handle);

    [LibraryImport(Library)]
    public static partial int tjGetErrorCode(nint handle);

    public static string ErrorText(nint handle) => Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown TurboJPEG error";
}
