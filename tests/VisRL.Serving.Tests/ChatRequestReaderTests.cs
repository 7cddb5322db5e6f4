using System.Text.Json.Nodes;

namespace VisRL.Serving.Tests;

/// <summary>Request validation: every bad field is a 4xx naming the field and the reason.</summary>
public class ChatRequestReaderTests
{
    private static readonly ServingOptions Options = new() { ModelId = "tiny", MaxImagePixels = 64 * 64, MaxTokens = 16, MaxChoices = 4 };
    private static readonly ChatRequestReader Reader = new(Options);

    private static JsonObject Body(JsonNode? content = null) => new()
    {
        ["model"] = "tiny",
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content ?? Content(Tiny.DataUrl(Tiny.Image(8, 8))) }),
    };

    private static JsonArray Content(params string[] urls) =>
        [.. urls.Select(u => (JsonNode)new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = u } }),
            new JsonObject { ["type"] = "text", ["text"] = "what is on the red circle?" }];

    private static ApiError Rejected(JsonObject body)
    {
        var (request, error) = Reader.Read(body.ToJsonString());
        Assert.Null(request);
        return Assert.IsType<ApiError>(error);
    }

    [Fact]
    public void AValidRequestKeepsItsKnobs_AndDecodesItsImage()
    {
        var body = Body();
        body["temperature"] = 0; body["top_p"] = 0.5; body["max_tokens"] = 7; body["n"] = 3; body["seed"] = 42; body["stream"] = true;
        var (request, error) = Reader.Read(body.ToJsonString());
        Assert.Null(error);
        Assert.Equal((0.0, 0.5, 7, 3, 42, true), (request!.Temperature, request.TopP, request.MaxTokens, request.N, request.Seed, request.Stream));
        var image = Assert.Single(request.Messages[0].Images);
        Assert.Equal(Tiny.Image(8, 8).Pixels, image.Pixels);
        Assert.Equal("what is on the red circle?", request.Messages[0].Text);
    }

    [Fact]
    public void DefaultsFollowOpenAi()
    {
        var (request, _) = Reader.Read(Body().ToJsonString());
        Assert.Equal((1.0, 1.0, (int?)null, 1, (int?)null, false), (request!.Temperature, request.TopP, request.MaxTokens, request.N, request.Seed, request.Stream));
    }

    [Theory]
    [InlineData("temperature", "3", "temperature", "within [0, 2]")]
    [InlineData("top_p", "0", "top_p", "within (0, 1]")]
    [InlineData("max_tokens", "17", "max_tokens", "within [1, 16]")]
    [InlineData("n", "5", "n", "within [1, 4]")]
    [InlineData("n", "1.5", "n", "must be an integer")]
    [InlineData("seed", "\"abc\"", "seed", "must be an integer")]
    [InlineData("stream", "\"yes\"", "stream", "true or false")]
    public void AKnobOutOfRangeIsA400NamingIt(string field, string json, string param, string reason)
    {
        var body = Body();
        body[field] = JsonNode.Parse(json);
        var error = Rejected(body);
        Assert.Equal((400, param), (error.Status, error.Param));
        Assert.Contains(reason, error.Message);
        Assert.Equal("invalid_request_error", error.ToJson()["error"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"model\":\"tiny\",\"model\":\"tiny\",\"messages\":[]}", "'model'")]
    [InlineData("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"role\":\"system\",\"content\":\"hi\"}]}", "'role'")]
    public void ADuplicateKeyIsA400NamingIt_NotAServerError(string json, string key)
    {
        var (request, error) = Reader.Read(json);
        Assert.Null(request);
        Assert.Equal((400, "body"), (error!.Status, error.Param));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void AnUnknownModelIsA404_AndAMissingOneA400()
    {
        var body = Body();
        body["model"] = "gpt-4o";
        var error = Rejected(body);
        Assert.Equal((404, "model_not_found"), (error.Status, error.Code));
        Assert.Contains("this server serves 'tiny'", error.Message);
        body.Remove("model");
        Assert.Equal((400, "model"), (Rejected(body).Status, Rejected(body).Param));
    }

    [Fact]
    public void ImagesMustBeDataUrlsOfDecodableImagesWithinTheLimits()
    {
        var remote = Rejected(Body(Content("https://example.com/cat.png")));
        Assert.Equal(("messages[0].content[0].image_url.url", "invalid_image_url"), (remote.Param, remote.Code));
        Assert.Contains("fetches no remote images", remote.Message);

        var garbage = Rejected(Body(Content("data:image/png;base64," + Convert.ToBase64String("not an image"u8.ToArray()))));
        Assert.Equal("invalid_image", garbage.Code);
        Assert.Contains("does not decode", garbage.Message);

        var notBase64 = Rejected(Body(Content("data:image/png;base64,@@@")));
        Assert.Contains("not valid base64", notBase64.Message);

        var large = Rejected(Body(Content(Tiny.DataUrl(Tiny.Image(65, 64)))));
        Assert.Equal("image_too_large", large.Code);
        Assert.Contains("65×64 = 4160 pixels exceeds the limit of 4096", large.Message);

        var url = Tiny.DataUrl(Tiny.Image(8, 8));
        var many = Rejected(Body(Content(url, url, url)));
        Assert.Equal("too_many_images", many.Code);
    }

    [Fact]
    public void MalformedMessagesNameTheirPath()
    {
        Assert.Contains("not a JSON object", Reader.Read("[1, 2]").Error!.Message);
        var body = Body();
        body["messages"] = new JsonArray();
        Assert.Equal("messages", Rejected(body).Param);

        body["messages"] = new JsonArray(new JsonObject { ["role"] = "tool", ["content"] = "x" });
        Assert.Equal("messages[0].role", Rejected(body).Param);

        body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "audio" }) });
        var part = Rejected(body);
        Assert.Equal("messages[0].content[0].type", part.Param);
        Assert.Contains("'text' or 'image_url'", part.Message);
    }
}
