; The harness's own guest: a 512-byte BIOS boot sector (nasm -f bin).
;
; What it does, and why, is specified in README.md next to this file:
;   - at every boot it reads the state sector (LBA 1), increments the boot
;     count kept there, writes it back and prints "BOOT <n>" on COM1; the count
;     lives on disk because RAM does not survive a reset;
;   - then, on every BIOS timer tick (18.2 Hz, ~55 ms), it increments a tick
;     counter kept only in RAM and prints "TICK <k>"; every 10th tick it writes
;     the counter to the state sector and prints "DISK <k>", so that a
;     snapshot-load visibly rewinds both RAM (TICK) and disk (DISK, LBA 1);
;   - bytes received on COM1 are commands: 'r' resets through the keyboard
;     controller, 'o' powers off through ACPI PM1a (S5), 'h' hangs with
;     interrupts off. Each is acknowledged with "CMD <c>" first.

bits 16
org 0x7C00

STATE_BUFFER    equ 0x7E00          ; right after us; one sector
BIOS_TICKS      equ 0x046C          ; BIOS data area: timer ticks since midnight
COM1_DATA       equ 0x3F8
COM1_LSR        equ 0x3FD
LSR_DATA_READY  equ 0x01
LSR_THR_EMPTY   equ 0x20
DISK_EVERY      equ 10              ; ticks between two state-sector writes
STATE_BOOT      equ 8               ; offsets inside the state sector
STATE_TICK      equ 12

start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    jmp 0:normalized                ; some BIOSes enter at 07C0:0000
normalized:
    sti                             ; the BIOS timer interrupt drives TICK
    mov [boot_drive], dl

    ; Read the state sector. A missing magic (blank disk) means boot count 0.
    mov ah, 0x02
    call disk_io
    jc disk_failed
    mov si, STATE_BUFFER
    mov di, magic
    mov cx, 8
    repe cmpsb
    mov eax, 0
    jne .fresh
    mov eax, [STATE_BUFFER + STATE_BOOT]
.fresh:
    inc eax
    mov [boot_count], eax
    call write_state                ; tick is 0 here
    jc disk_failed
    mov si, msg_boot
    mov eax, [boot_count]
    call print_line

main_loop:
    mov ax, [BIOS_TICKS]
.wait:
    hlt                             ; sleep until the next interrupt
    cmp ax, [BIOS_TICKS]
    je .wait

    inc dword [tick]
    mov si, msg_tick
    mov eax, [tick]
    call print_line

    mov eax, [tick]
    xor edx, edx
    mov ecx, DISK_EVERY
    div ecx
    test edx, edx
    jnz .commands
    call write_state
    jc disk_failed
    mov si, msg_disk
    mov eax, [tick]
    call print_line

.commands:
    mov dx, COM1_LSR
    in al, dx
    test al, LSR_DATA_READY
    jz main_loop
    mov dx, COM1_DATA
    in al, dx
    mov [cmd_char], al
    mov si, msg_cmd
    call puts
    mov al, [cmd_char]
    call putc
    mov si, crlf
    call puts
    mov al, [cmd_char]
    cmp al, 'r'
    je .reset
    cmp al, 'o'
    je .poweroff
    cmp al, 'h'
    je hang
    jmp main_loop
.reset:
    mov al, 0xFE                    ; pulse the CPU reset line via the 8042
    out 0x64, al
    jmp hang
.poweroff:
    mov dx, 0x604                   ; PIIX4 PM1a_CNT at SeaBIOS's PM base 0x600
    mov ax, 0x2000                  ; SLP_EN | SLP_TYP=0 (S5 on QEMU's PIIX4)
    out dx, ax
    jmp hang

disk_failed:
    mov si, msg_diskerr
    movzx eax, ah                   ; int 13h status code
    call print_line
hang:
    cli
    hlt
    jmp hang

; Write magic, boot count and tick to the state sector. CF set on error.
write_state:
    mov di, STATE_BUFFER
    mov si, magic
    mov cx, 8
    rep movsb
    mov eax, [boot_count]
    stosd
    mov eax, [tick]
    stosd
    xor al, al
    mov cx, 512 - 16
    rep stosb
    mov ah, 0x03
    ; fall through
; int 13h function AH on one sector: LBA 1 = C 0, H 0, S 2, buffer ES:STATE_BUFFER.
disk_io:
    mov al, 1
    mov cx, 0x0002
    xor dh, dh
    mov dl, [boot_drive]
    mov bx, STATE_BUFFER
    int 0x13
    ret

; Print string SI, then EAX in decimal, then CRLF.
print_line:
    push eax
    call puts
    pop eax
    mov ecx, 10
    xor bx, bx
.divide:
    xor edx, edx
    div ecx
    push dx
    inc bx
    test eax, eax
    jnz .divide
.emit:
    pop ax
    add al, '0'
    call putc
    dec bx
    jnz .emit
    mov si, crlf
    ; fall through
puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

; Send AL on COM1, polling the line status register.
putc:
    push dx
    push ax
    mov dx, COM1_LSR
.busy:
    in al, dx
    test al, LSR_THR_EMPTY
    jz .busy
    pop ax
    mov dx, COM1_DATA
    out dx, al
    pop dx
    ret

magic       db "SPPGUEST"
; BOOT starts on a line of its own: a reset can cut the line being printed,
; and the cut part must not become the start of the BOOT line
msg_boot    db 13, 10, "BOOT ", 0
msg_tick    db "TICK ", 0
msg_disk    db "DISK ", 0
msg_cmd     db "CMD ", 0
msg_diskerr db "DISKERR ", 0
crlf        db 13, 10, 0

align 4
boot_count  dd 0
tick        dd 0
boot_drive  db 0
cmd_char    db 0

times 510 - ($ - $$) db 0
    dw 0xAA55
