using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RetinaScreen.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class IdentityQuarantine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "SourceAeTitle",
                table: "Instances",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(16)",
                oldMaxLength: 16,
                oldNullable: true);

            migrationBuilder.CreateTable(
                name: "QuarantinedInstances",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Detail = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    SopInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SopClassUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SeriesInstanceUid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    IssuerOfPatientId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PatientName = table.Column<string>(type: "character varying(194)", maxLength: 194, nullable: true),
                    PatientBirthDate = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    PatientSex = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    ConflictingPatientId = table.Column<Guid>(type: "uuid", nullable: true),
                    ConflictingStudyId = table.Column<Guid>(type: "uuid", nullable: true),
                    ConflictingInstanceId = table.Column<Guid>(type: "uuid", nullable: true),
                    StorageKey = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    Sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SizeBytes = table.Column<long>(type: "bigint", nullable: false),
                    Source = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Device = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    SourceAddress = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ReceivedAt = table.Column<long>(type: "bigint", nullable: false),
                    Release = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    ResolvedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ResolvedAt = table.Column<long>(type: "bigint", nullable: true),
                    ReleaseError = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ReleasedInstanceId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuarantinedInstances", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_QuarantinedInstances_SopInstanceUid",
                table: "QuarantinedInstances",
                column: "SopInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_QuarantinedInstances_Status_ReceivedAt",
                table: "QuarantinedInstances",
                columns: new[] { "Status", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_QuarantinedInstances_StorageKey",
                table: "QuarantinedInstances",
                column: "StorageKey");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "QuarantinedInstances");

            migrationBuilder.AlterColumn<string>(
                name: "SourceAeTitle",
                table: "Instances",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(256)",
                oldMaxLength: 256,
                oldNullable: true);
        }
    }
}
