using System.Security.Cryptography;
using VisRL.Imaging;

namespace VisRL.Serving;

/// <summary>
/// Recently decoded request images by the SHA-256 of their bytes. A two-turn client sends the same
/// scene with turn 1 and turn 2 of every candidate (and again for every attempt): hashing is ~20×
/// cheaper than decoding a multi-megapixel PNG. Holds at most <see cref="MaxPixels"/> pixels; images
/// are never modified after decoding, so sharing one instance between requests is safe.
/// </summary>
public sealed class ImageCache(long maxPixels = 40_000_000)
{
    private readonly LinkedList<(string Key, RgbImage Image)> _recent = new(); // most recent first
    private readonly Lock _lock = new();
    private long _pixels;

    public long MaxPixels { get; } = maxPixels;

    public RgbImage GetOrDecode(byte[] bytes, Func<byte[], RgbImage> decode)
    {
        var key = Convert.ToHexString(SHA256.HashData(bytes));
        lock (_lock)
        {
            for (var node = _recent.First; node is not null; node = node.Next)
            {
                if (node.Value.Key != key) continue;
                _recent.Remove(node);
                _recent.AddFirst(node);
                return node.Value.Image;
            }
        }
        var image = decode(bytes);
        lock (_lock)
        {
            _recent.AddFirst((key, image));
            _pixels += (long)image.Width * image.Height;
            while (_pixels > MaxPixels && _recent.Count > 1)
            {
                var last = _recent.Last!.Value.Image;
                _pixels -= (long)last.Width * last.Height;
                _recent.RemoveLast();
            }
        }
        return image;
    }
}
