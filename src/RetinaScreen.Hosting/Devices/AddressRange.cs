using System.Net;

namespace RetinaScreen.Hosting.Devices;

/// <summary>A device's allowed source: one address ("10.1.2.3") or a CIDR block ("10.1.2.0/24", "fd00::/8").</summary>
public static class AddressRange
{
    public static bool IsValid(string value) => TryParse(value, out _);

    public static bool Contains(string range, IPAddress address)
    {
        if (!TryParse(range, out var network))
        {
            return false;
        }

        // An IPv4 peer on a dual-stack socket shows up as ::ffff:a.b.c.d.
        if (address.IsIPv4MappedToIPv6 && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        return network.Contains(address);
    }

    private static bool TryParse(string value, out IPNetwork network)
    {
        if (IPNetwork.TryParse(value, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(value, out var single))
        {
            network = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}
