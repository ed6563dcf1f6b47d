using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RetinaScreen.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AddDeviceCertificates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CertificateThumbprint",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_CertificateThumbprint",
                table: "Devices",
                column: "CertificateThumbprint",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Devices_CertificateThumbprint",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "CertificateThumbprint",
                table: "Devices");
        }
    }
}
