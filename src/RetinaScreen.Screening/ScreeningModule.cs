using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace RetinaScreen.Screening;

public static class ScreeningModule
{
    /// <summary>Registers the lifecycle (scoped, over the request's or the consumer's DbContext) and its validated options.</summary>
    public static IHostApplicationBuilder AddScreening(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ReadingOptions>()
            .Bind(builder.Configuration.GetSection(ReadingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddScoped<ScreeningLifecycle>();
        return builder;
    }
}
