using Microsoft.AspNetCore.Builder;
using VisRL.Modeling;

namespace VisRL.Serving.Tests;

/// <summary>`visrl serve`'s web application on a free port with a tiny random model (and an API key), shared by the server tests.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key", ModelId = "visrl-tiny-test";

    public VisRLTiny Model { get; } = Tiny.Model(seed: 3);
    public WebApplication App { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        App = ServingHost.Build(new TinyChatModel(Model), new ServingOptions { ModelId = ModelId, ApiKey = ApiKey, MaxRequestBytes = 4 << 20 }, "127.0.0.1", 0);
        await App.StartAsync();
        BaseUrl = App.Address() + "/v1";
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Model.Dispose();
    }
}
