using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RetinaScreen.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class DistributedPipeline : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "AdjudicatedAt",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "AwaitingReviewAt",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Priority",
                table: "Screenings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "ReportedAt",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Site",
                table: "Screenings",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "OutboxMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    TraceParent = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DispatchedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboxMessages", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Screenings_Site_Status_ReceivedAt",
                table: "Screenings",
                columns: new[] { "Site", "Status", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Screenings_Status_Priority_ReceivedAt",
                table: "Screenings",
                columns: new[] { "Status", "Priority", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_DispatchedAt_CreatedAt",
                table: "OutboxMessages",
                columns: new[] { "DispatchedAt", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "OutboxMessages");

            migrationBuilder.DropIndex(
                name: "IX_Screenings_Site_Status_ReceivedAt",
                table: "Screenings");

            migrationBuilder.DropIndex(
                name: "IX_Screenings_Status_Priority_ReceivedAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "AdjudicatedAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "AwaitingReviewAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "Priority",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "ReportedAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "Site",
                table: "Screenings");
        }
    }
}
