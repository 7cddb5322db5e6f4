using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VisRL.Imaging.Datasets;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Modeling;

/// <summary>
/// A closed word-level vocabulary: the protocol's specials, the benchmark's question words, the
/// glyphs (answers), and <c>LocationBins</c> location tokens <c>&lt;loc_i&gt;</c> quantizing [0, 1].
/// The two fixed requests of the protocol (the box request and the answer request) are whole-phrase
/// tokens, so the model spends no sequence length on them.
/// Text rules: a bracketed group of 4 numbers (the VisCoT box form "[0.133, 0.532, 0.187, 0.553]")
/// becomes 4 location tokens; "?" and "," are tokens; other words are looked up as written, then
/// lower-cased (so "What" → "what", while the glyph "A" stays "A"). A word outside the vocabulary is
/// an error (<see cref="UnknownTokenException"/>) naming the word: silently mapping it to &lt;unk&gt;
/// would hide a prompt the model was never trained on. <c>&lt;unk&gt;</c> exists for callers that
/// opt in with <c>allowUnknown</c>.
/// </summary>
public sealed partial class Tokenizer
{
    public const string Pad = "<pad>", Bos = "<bos>", Eos = "<eos>", Unk = "<unk>", Image = "<image>", User = "<user>", Assistant = "<assistant>";
    public const string BoxRequestToken = "<box_request>", AnswerRequestToken = "<answer_request>";
    public const int FormatVersion = 1;

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    public Tokenizer(IReadOnlyList<string> tokens, int locationBins)
    {
        if (locationBins < 2) throw new ArgumentException("need at least 2 location bins");
        _tokens = [.. tokens];
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _tokens.Length; i++)
            if (!_ids.TryAdd(_tokens[i], i)) throw new ArgumentException($"duplicate token '{_tokens[i]}'");
        LocationBins = locationBins;
        foreach (var special in new[] { Pad, Bos, Eos, Unk, Image, User, Assistant, BoxRequestToken, AnswerRequestToken })
            if (!_ids.ContainsKey(special)) throw new ArgumentException($"tokenizer lacks the special token {special}");
        for (int i = 0; i < locationBins; i++)
            if (!_ids.ContainsKey(LocName(i))) throw new ArgumentException($"tokenizer lacks {LocName(i)}");
        PadId = _ids[Pad]; BosId = _ids[Bos]; EosId = _ids[Eos]; UnkId = _ids[Unk]; ImageId = _ids[Image];
        UserId = _ids[User]; AssistantId = _ids[Assistant]; BoxRequestId = _ids[BoxRequestToken]; AnswerRequestId = _ids[AnswerRequestToken];
        FirstLocId = _ids[LocName(0)];
        for (int i = 1; i < locationBins; i++)
            if (_ids[LocName(i)] != FirstLocId + i) throw new ArgumentException("location tokens must be consecutive");
    }

    /// <summary>The vocabulary of the synthetic benchmark (all glyphs of the font, its colors, shapes and question words).</summary>
    public static Tokenizer ForSyntheticBenchmark(int locationBins = 64, SyntheticOptions? options = null)
    {
        var o = options ?? new SyntheticOptions();
        var tokens = new List<string> { Pad, Bos, Eos, Unk, Image, User, Assistant, BoxRequestToken, AnswerRequestToken, "?", "," };
        tokens.AddRange(["what", "character", "is", "on", "the", "shape", "left", "right", "of", "above", "below",
            "leftmost", "rightmost", "topmost", "bottommost"]);
        foreach (var shape in Enum.GetValues<ShapeKind>()) tokens.Add(ShapeNames.Of(shape));
        foreach (var color in o.Colors.Concat(NamedColor.Defaults)) if (!tokens.Contains(color.Name)) tokens.Add(color.Name);
        foreach (char c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".Concat(o.Glyphs)) if (!tokens.Contains(c.ToString())) tokens.Add(c.ToString());
        for (int i = 0; i < locationBins; i++) tokens.Add(LocName(i));
        return new Tokenizer(tokens, locationBins);
    }

    public int VocabSize => _tokens.Length;
    public int LocationBins { get; }
    public int PadId { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int UnkId { get; }
    public int ImageId { get; }
    public int UserId { get; }
    public int AssistantId { get; }
    public int BoxRequestId { get; }
    public int AnswerRequestId { get; }
    public int FirstLocId { get; }
    public IReadOnlyList<string> Tokens => _tokens;

    public static string LocName(int bin) => string.Create(CultureInfo.InvariantCulture, $"<loc_{bin}>");

    public bool IsLocation(int id) => id >= FirstLocId && id < FirstLocId + LocationBins;

    public int IdOf(string token) => _ids.TryGetValue(token, out int id) ? id : throw new UnknownTokenException(token);

    public string TokenOf(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} outside the vocabulary of {_tokens.Length}");

    [GeneratedRegex(@"\[[^\[\]]*\]|<[a-z_0-9]+>|[?,]|[^\s?,\[\]]+")]
    private static partial Regex Pieces();

    /// <summary>Token ids of <paramref name="text"/> (no bos/eos added).</summary>
    public int[] Encode(string text, bool allowUnknown = false)
    {
        var ids = new List<int>();
        string rest = text.Replace(VisCotPrompts.BoxRequest, " " + BoxRequestToken + " ", StringComparison.Ordinal)
                          .Replace(VisCotPrompts.AnswerRequest, " " + AnswerRequestToken + " ", StringComparison.Ordinal);
        foreach (Match m in Pieces().Matches(rest))
        {
            string piece = m.Value;
            if (piece.StartsWith('['))
            {
                var parsed = BoxParser.Parse(piece);
                if (!parsed.Success) throw new FormatException($"'{piece}' is not a normalized box ({parsed.FailureReason})");
                ids.AddRange(EncodeBox(parsed.Box));
                continue;
            }
            if (_ids.TryGetValue(piece, out int id) || _ids.TryGetValue(piece.ToLowerInvariant(), out id)) ids.Add(id);
            else if (allowUnknown) ids.Add(UnkId);
            else throw new UnknownTokenException(piece);
        }
        return [.. ids];
    }

    /// <summary>Text of <paramref name="ids"/>: location tokens in groups of 4 print as the VisCoT box form; specials are kept.</summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < ids.Count; i++)
        {
            if (sb.Length > 0) sb.Append(' ');
            if (i + 3 < ids.Count && IsLocation(ids[i]) && IsLocation(ids[i + 1]) && IsLocation(ids[i + 2]) && IsLocation(ids[i + 3]))
            {
                sb.Append(BoxText.Format(DecodeBox([ids[i], ids[i + 1], ids[i + 2], ids[i + 3]])));
                i += 3;
            }
            else sb.Append(TokenOf(ids[i]));
        }
        return sb.ToString().Replace(" ?", "?", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal);
    }

    // A twentieth of a bin of slack absorbs the 3-decimal rounding of the box text (≤ 0.0005, i.e.
    // 0.03 bin at K = 64), so tokens → text → tokens is the identity.
    private const double Slack = 0.05;

    /// <summary>The bin of a start coordinate (x1, y1): floor(v·K), clamped to [0, K-1]; bin i decodes to i/K.</summary>
    public int Bin(double v) => Math.Clamp((int)Math.Floor(v * LocationBins + Slack), 0, LocationBins - 1);

    /// <summary>The bin of an end coordinate (x2, y2): ceil(v·K) − 1, so that bin i decodes to (i+1)/K and decode → encode is the identity.</summary>
    public int EndBin(double v) => Math.Clamp((int)Math.Ceiling(v * LocationBins - Slack) - 1, 0, LocationBins - 1);

    /// <summary>x1, y1, x2, y2 as location tokens (the box is ordered and clamped first).</summary>
    public int[] EncodeBox(Box box)
    {
        var b = box.Clamp();
        double x1 = Math.Min(b.X1, b.X2), x2 = Math.Max(b.X1, b.X2), y1 = Math.Min(b.Y1, b.Y2), y2 = Math.Max(b.Y1, b.Y2);
        int bx1 = Bin(x1), by1 = Bin(y1);
        return [FirstLocId + bx1, FirstLocId + by1, FirstLocId + Math.Max(bx1, EndBin(x2)), FirstLocId + Math.Max(by1, EndBin(y2))];
    }

    /// <summary>The box of 4 location tokens: a start bin maps to its lower edge, an end bin to its upper edge, so a box always has positive area.</summary>
    public Box DecodeBox(IReadOnlyList<int> ids)
    {
        if (ids.Count != 4 || !ids.All(IsLocation)) throw new ArgumentException("a box is exactly 4 location tokens");
        double k = LocationBins;
        int x1 = ids[0] - FirstLocId, y1 = ids[1] - FirstLocId, x2 = ids[2] - FirstLocId, y2 = ids[3] - FirstLocId;
        if (x1 > x2) (x1, x2) = (x2, x1);
        if (y1 > y2) (y1, y2) = (y2, y1);
        return new Box(x1 / k, y1 / k, (x2 + 1) / k, (y2 + 1) / k);
    }

    public string ToJson()
    {
        var root = new JsonObject
        {
            ["format"] = "visrl-tiny-tokenizer",
            ["version"] = FormatVersion,
            ["location_bins"] = LocationBins,
            ["tokens"] = new JsonArray([.. _tokens.Select(t => (JsonNode)JsonValue.Create(t)!)]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static Tokenizer FromJson(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("not a JSON object");
        if ((string?)root["format"] != "visrl-tiny-tokenizer") throw new InvalidDataException("'format' is not visrl-tiny-tokenizer");
        if ((int?)root["version"] != FormatVersion) throw new InvalidDataException($"unsupported version {(int?)root["version"]} (expected {FormatVersion})");
        int bins = (int?)root["location_bins"] ?? throw new InvalidDataException("missing location_bins");
        var tokens = (root["tokens"] as JsonArray ?? throw new InvalidDataException("missing tokens")).Select(t => (string?)t ?? throw new InvalidDataException("null token")).ToList();
        return new Tokenizer(tokens, bins);
    }

    public void Save(string path) => File.WriteAllText(path, ToJson());

    public static Tokenizer Load(string path) => FromJson(File.ReadAllText(path));
}

/// <summary>A word outside the tokenizer's closed vocabulary.</summary>
public sealed class UnknownTokenException(string word)
    : ArgumentException($"'{word}' is not in the VisRL-Tiny vocabulary (closed: benchmark words, glyphs, location tokens, specials)")
{
    public string Word { get; } = word;
}
