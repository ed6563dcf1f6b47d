using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using RetinaScreen.Data.Outbox;

namespace RetinaScreen.Screening;

public static class ScreeningModule
{
    /// <summary>
    /// Registers the lifecycle (scoped, over the request's or the consumer's DbContext) and its validated options. Every
    /// role that changes a case composes it; calling it again changes nothing.
    /// </summary>
    public static IHostApplicationBuilder AddScreening(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ReadingOptions>()
            .Bind(builder.Configuration.GetSection(ReadingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<ScreeningOptions>()
            .Bind(builder.Configuration.GetSection(ScreeningOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<OutboxSignal>();
        builder.Services.TryAddScoped<ScreeningLifecycle>();
        return builder;
    }
}
