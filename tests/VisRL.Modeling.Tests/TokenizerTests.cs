using VisRL.Imaging.Geometry;

namespace VisRL.Modeling.Tests;

public sealed class TokenizerTests
{
    private readonly Tokenizer _tok = Tokenizer.ForSyntheticBenchmark();

    [Fact]
    public void BoxTextBecomesFourLocationTokensAndBack()
    {
        var ids = _tok.Encode("[0.133, 0.532, 0.187, 0.553]");
        Assert.Equal(4, ids.Length);
        Assert.All(ids, id => Assert.True(_tok.IsLocation(id)));
        Assert.Equal(Tokenizer.LocName((int)(0.133 * 64)), _tok.TokenOf(ids[0]));
        var box = BoxText.Parse(_tok.Decode(ids));
        // Start bins decode to their lower edge, end bins to their upper edge: within one bin, never smaller.
        Assert.InRange(0.133 - box.X1, 0, 1.0 / 64);
        Assert.InRange(0.532 - box.Y1, 0, 1.0 / 64);
        Assert.InRange(box.X2 - 0.187, 0, 1.0 / 64 + 1e-3);
        Assert.InRange(box.Y2 - 0.553, 0, 1.0 / 64 + 1e-3);
    }

    [Fact]
    public void QuestionAndRequestsEncodeToKnownTokens()
    {
        var ids = _tok.Encode("What character is on the shape left of the red circle? " + Protocol.BoxRequest);
        Assert.Equal(["what", "character", "is", "on", "the", "shape", "left", "of", "the", "red", "circle", "?", Tokenizer.BoxRequestToken],
            ids.Select(_tok.TokenOf));
        Assert.Equal([_tok.IdOf("A")], _tok.Encode("A"));
        Assert.Equal("what character is on the green triangle?", _tok.Decode(_tok.Encode("What character is on the green triangle?")));
    }

    [Fact]
    public void UnknownWordIsAClearErrorUnlessAllowed()
    {
        var error = Assert.Throws<UnknownTokenException>(() => _tok.Encode("What colour is the zebra?"));
        Assert.Equal("colour", error.Word);
        Assert.Contains("colour", error.Message);
        Assert.Contains(_tok.UnkId, _tok.Encode("What colour is the zebra?", allowUnknown: true));
    }

    [Fact]
    public void JsonRoundTripKeepsEveryToken()
    {
        var copy = Tokenizer.FromJson(_tok.ToJson());
        Assert.Equal(_tok.Tokens, copy.Tokens);
        Assert.Equal(_tok.LocationBins, copy.LocationBins);
        Assert.Throws<InvalidDataException>(() => Tokenizer.FromJson("{\"format\":\"other\"}"));
    }

    [Fact]
    public void DecodeThenEncodeIsTheIdentityOnLocationTokens()
    {
        var rng = new Random(1);
        for (int i = 0; i < 500; i++)
        {
            int a = rng.Next(64), b = rng.Next(64), c = rng.Next(64), d = rng.Next(64);
            int[] ids = [.. new[] { Math.Min(a, c), Math.Min(b, d), Math.Max(a, c), Math.Max(b, d) }.Select(x => _tok.FirstLocId + x)];
            Assert.Equal(ids, _tok.EncodeBox(_tok.DecodeBox(ids)));
            Assert.Equal(ids, _tok.Encode(BoxText.Format(_tok.DecodeBox(ids))));
        }
    }

    [Fact]
    public void DegenerateBoxStillDecodesWithPositiveArea()
    {
        var ids = _tok.EncodeBox(new Box(0.5, 0.5, 0.5, 0.5));
        var box = _tok.DecodeBox(ids);
        Assert.True(box.Width > 0 && box.Height > 0);
    }
}
