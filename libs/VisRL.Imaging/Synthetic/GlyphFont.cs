namespace VisRL.Imaging.Synthetic;

/// <summary>
/// A 5×7 bitmap font for digits and uppercase letters, drawn for this project. Each glyph is
/// 7 rows of 5 cells; scaled by an integer factor when rendered.
/// </summary>
public static class GlyphFont
{
    public const int Columns = 5;
    public const int Rows = 7;

    /// <summary>Digits and letters without I and O, which this font cannot tell from 1 and 0.</summary>
    public const string DefaultGlyphs = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

    private static readonly Dictionary<char, bool[]> Glyphs = Build();

    public static bool Has(char c) => Glyphs.ContainsKey(c);

    /// <summary>Row-major 5×7 cells, true = ink.</summary>
    public static ReadOnlySpan<bool> Cells(char c) =>
        Glyphs.TryGetValue(c, out var cells) ? cells : throw new ArgumentException($"no glyph for '{c}'", nameof(c));

    /// <summary>Draws <paramref name="c"/> with its top-left corner at (x, y), each cell scale×scale pixels.</summary>
    public static void Render(RgbImage image, char c, int x, int y, int scale, Rgb ink)
    {
        var cells = Cells(c);
        var pixels = image.Pixels;
        for (int row = 0; row < Rows; row++)
        {
            for (int col = 0; col < Columns; col++)
            {
                if (!cells[row * Columns + col]) continue;
                for (int dy = 0; dy < scale; dy++)
                {
                    int py = y + row * scale + dy;
                    if ((uint)py >= (uint)image.Height) continue;
                    for (int dx = 0; dx < scale; dx++)
                    {
                        int px = x + col * scale + dx;
                        if ((uint)px >= (uint)image.Width) continue;
                        int i = (py * image.Width + px) * 3;
                        pixels[i] = ink.R; pixels[i + 1] = ink.G; pixels[i + 2] = ink.B;
                    }
                }
            }
        }
    }

    private static Dictionary<char, bool[]> Build()
    {
        var rows = new Dictionary<char, string>
        {
            ['0'] = ".###. #...# #..## #.#.# ##..# #...# .###.",
            ['1'] = "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
            ['2'] = ".###. #...# ....# ...#. ..#.. .#... #####",
            ['3'] = "##### ...#. ..#.. ...#. ....# #...# .###.",
            ['4'] = "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
            ['5'] = "##### #.... ####. ....# ....# #...# .###.",
            ['6'] = "..##. .#... #.... ####. #...# #...# .###.",
            ['7'] = "##### ....# ...#. ..#.. .#... .#... .#...",
            ['8'] = ".###. #...# #...# .###. #...# #...# .###.",
            ['9'] = ".###. #...# #...# .#### ....# ...#. .##..",
            ['A'] = ".###. #...# #...# ##### #...# #...# #...#",
            ['B'] = "####. #...# #...# ####. #...# #...# ####.",
            ['C'] = ".###. #...# #.... #.... #.... #...# .###.",
            ['D'] = "###.. #..#. #...# #...# #...# #..#. ###..",
            ['E'] = "##### #.... #.... ####. #.... #.... #####",
            ['F'] = "##### #.... #.... ####. #.... #.... #....",
            ['G'] = ".###. #...# #.... #.### #...# #...# .####",
            ['H'] = "#...# #...# #...# ##### #...# #...# #...#",
            ['I'] = ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
            ['J'] = "..### ...#. ...#. ...#. ...#. #..#. .##..",
            ['K'] = "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
            ['L'] = "#.... #.... #.... #.... #.... #.... #####",
            ['M'] = "#...# ##.## #.#.# #.#.# #...# #...# #...#",
            ['N'] = "#...# #...# ##..# #.#.# #..## #...# #...#",
            ['O'] = ".###. #...# #...# #...# #...# #...# .###.",
            ['P'] = "####. #...# #...# ####. #.... #.... #....",
            ['Q'] = ".###. #...# #...# #...# #.#.# #..#. .##.#",
            ['R'] = "####. #...# #...# ####. #.#.. #..#. #...#",
            ['S'] = ".#### #.... #.... .###. ....# ....# ####.",
            ['T'] = "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
            ['U'] = "#...# #...# #...# #...# #...# #...# .###.",
            ['V'] = "#...# #...# #...# #...# #...# .#.#. ..#..",
            ['W'] = "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
            ['X'] = "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
            ['Y'] = "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
            ['Z'] = "##### ....# ...#. ..#.. .#... #.... #####",
        };
        var result = new Dictionary<char, bool[]>();
        foreach (var (c, text) in rows)
        {
            string flat = text.Replace(" ", "");
            if (flat.Length != Rows * Columns) throw new InvalidOperationException($"glyph '{c}' is malformed");
            result[c] = flat.Select(ch => ch == '#').ToArray();
        }
        return result;
    }
}
